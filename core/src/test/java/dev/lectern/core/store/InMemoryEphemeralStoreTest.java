package dev.lectern.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/** The contract against the in-process store, on a virtual clock. */
class InMemoryEphemeralStoreTest extends EphemeralStoreContract {
    private final AtomicLong clock = new AtomicLong(1_000_000);

    @Override
    protected EphemeralStore newStore() {
        return new InMemoryEphemeralStore(clock::get);
    }

    @Override
    protected void untilExpired(Duration ttl, BooleanSupplier gone) {
        assertThat(gone.getAsBoolean()).as("still there before its ttl").isFalse();
        clock.addAndGet(ttl.toMillis());
        assertThat(gone.getAsBoolean()).as("gone after its ttl").isTrue();
    }
}

package dev.lectern.jobs;

import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wake-ups over the ephemeral store's pub/sub (Redis when configured). Only the signal travels: the jobs stay in the
 * SQL table, so a lost message costs at most one poll interval.
 */
final class RedisWakeups implements Wakeups {
    static final String CHANNEL = "jobs:wake";
    private static final Logger logger = LoggerFactory.getLogger(RedisWakeups.class);

    private final EphemeralStore store;
    private final EphemeralStore.Subscription subscription;

    RedisWakeups(EphemeralStore store, Runnable onWake) {
        this.store = store;
        this.subscription = store.subscribe(CHANNEL, message -> onWake.run());
    }

    @Override
    public void announce() {
        try {
            store.publish(CHANNEL, "");
        } catch (StoreUnavailableException e) {
            logger.atDebug().addKeyValue("error", e.getMessage()).log("job wake-up not published");
        }
    }

    @Override
    public void close() {
        subscription.close();
    }
}

package dev.lectern.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.config.AccountsConfig;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.testing.MutableClock;
import dev.lectern.core.error.ServiceException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final InMemoryEphemeralStore store = new InMemoryEphemeralStore(clock::millis);
    private final LoginThrottle throttle = new LoginThrottle(store, new AccountsConfig.LoginThrottle(3, 5, 900, 60));

    @AfterEach
    void close() {
        store.close();
    }

    private long retryAfter(String email, String address) {
        try {
            throttle.checkAllowed(email, address);
            return 0;
        } catch (ServiceException e) {
            assertThat(e.status()).isEqualTo(429);
            return Long.parseLong(e.headers().get("Retry-After"));
        }
    }

    @Test
    void slowsWithGrowingWaitsThenLocksOut() {
        throttle.failed("a@x.io", "1.1.1.1");
        throttle.failed("a@x.io", "1.1.1.1");
        assertThat(retryAfter("a@x.io", "1.1.1.1")).isZero();
        throttle.failed("a@x.io", "1.1.1.1"); // third: wait 2 s
        assertThat(retryAfter("a@x.io", "1.1.1.1")).isEqualTo(2);
        clock.advance(Duration.ofSeconds(2));
        assertThat(retryAfter("a@x.io", "1.1.1.1")).isZero();
        throttle.failed("a@x.io", "1.1.1.1"); // fourth: 4 s
        assertThat(retryAfter("a@x.io", "1.1.1.1")).isEqualTo(4);
        clock.advance(Duration.ofSeconds(4));
        throttle.failed("a@x.io", "1.1.1.1"); // fifth = maxFailures: locked out
        assertThat(retryAfter("a@x.io", "1.1.1.1")).isEqualTo(60);
        clock.advance(Duration.ofSeconds(60));
        assertThat(retryAfter("a@x.io", "1.1.1.1")).isZero();
    }

    @Test
    void countsPerAddressAcrossAccountsAndPerAccountFromOneAddress() {
        for (int i = 0; i < 3; i++) {
            throttle.failed("user" + i + "@x.io", "6.6.6.6"); // one address guessing many accounts
        }
        assertThat(retryAfter("fresh@x.io", "6.6.6.6")).isPositive();
        assertThat(retryAfter("fresh@x.io", "2.2.2.2")).isZero();
        for (int i = 0; i < 5; i++) {
            throttle.failed("target@x.io", "10.0.0." + i); // many addresses guessing one account
        }
        // each of them is slowed, but the owner, elsewhere, is not locked out of their own account
        assertThat(retryAfter("target@x.io", "10.0.0.99")).isZero();
    }

    @Test
    void wrongCodesFromAnAddressFeedItsLoginThrottle() {
        throttle.failedAddress("7.7.7.7");
        throttle.failedAddress("7.7.7.7");
        throttle.failedAddress("7.7.7.7");
        assertThat(retryAfter("anyone@x.io", "7.7.7.7")).isPositive();
        assertThatThrownBy(() -> throttle.checkAddress("7.7.7.7")).isInstanceOf(ServiceException.class);
    }

    @Test
    void successClearsTheAccountCounter() {
        throttle.failed("a@x.io", "1.1.1.1");
        throttle.failed("a@x.io", "1.1.1.1");
        throttle.succeeded("a@x.io", "1.1.1.1");
        store.delete("login-fail:addr:1.1.1.1"); // only the account's counter is cleared by a success
        throttle.failed("a@x.io", "1.1.1.1");
        assertThat(retryAfter("a@x.io", "1.1.1.1")).isZero();
        assertThatThrownBy(() -> {
            throttle.failed("a@x.io", "1.1.1.1");
            throttle.failed("a@x.io", "1.1.1.1");
            throttle.checkAllowed("a@x.io", "1.1.1.1");
        }).isInstanceOf(ServiceException.class);
    }
}

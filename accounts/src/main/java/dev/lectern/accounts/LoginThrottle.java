package dev.lectern.accounts;

import dev.lectern.core.config.AccountsConfig;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.error.ServiceException;
import java.time.Duration;

/**
 * Slows and then refuses repeated failed logins, per account and per client address, with counters in the ephemeral
 * store (so the limit holds across nodes). After {@code slowAfterFailures} failures each next attempt must wait 2, 4,
 * 8… seconds; after {@code maxFailures} the account or address is refused for {@code lockoutSeconds}. Refusals are
 * 429 with {@code Retry-After}. A success clears the account's counter.
 */
public final class LoginThrottle {
    private final EphemeralStore store;
    private final AccountsConfig.LoginThrottle config;

    public LoginThrottle(EphemeralStore store, AccountsConfig.LoginThrottle config) {
        this.store = store;
        this.config = config;
    }

    /** Throws 429 when the account or the address must wait. */
    public void checkAllowed(String email, String address) {
        for (String who : new String[] {"acct:" + email, "addr:" + address}) {
            if (store.exists("login-block:" + who)) {
                long wait = store.ttl("login-block:" + who).map(d -> (d.toMillis() + 999) / 1000).orElse(1L);
                throw ServiceException.tooManyRequests("too many failed logins; try again later", wait);
            }
        }
    }

    public void failed(String email, String address) {
        for (String who : new String[] {"acct:" + email, "addr:" + address}) {
            long n = store.increment("login-fail:" + who, 1, Duration.ofSeconds(config.windowSeconds()));
            long blockSeconds;
            if (n >= config.maxFailures()) {
                blockSeconds = config.lockoutSeconds();
            } else if (n >= config.slowAfterFailures()) {
                long exponent = Math.min(20, n - config.slowAfterFailures() + 1);
                blockSeconds = Math.min(config.lockoutSeconds(), 1L << exponent);
            } else {
                continue;
            }
            store.set("login-block:" + who, Long.toString(n), Duration.ofSeconds(blockSeconds));
        }
    }

    public void succeeded(String email) {
        store.delete("login-fail:acct:" + email);
    }
}

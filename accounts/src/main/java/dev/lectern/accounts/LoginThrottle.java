package dev.lectern.accounts;

import dev.lectern.core.config.AccountsConfig;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.net.ClientAddresses;
import java.time.Duration;

/**
 * Slows and then refuses repeated failures, with counters in the ephemeral store (so the limit holds across nodes):
 * failed logins per account <em>from one client address</em> (so nobody can lock a victim out from elsewhere), and
 * every failure of one client address, logins and wrong codes of {@code register} / {@code update_password} alike.
 * After {@code slowAfterFailures} failures each next attempt must wait 2, 4, 8… seconds; after {@code maxFailures}
 * the account (from that address) or the address is refused for {@code lockoutSeconds}. Refusals are 429 with
 * {@code Retry-After}. A success clears the account's counter for that address.
 */
public final class LoginThrottle {
    private final EphemeralStore store;
    private final AccountsConfig.LoginThrottle config;

    public LoginThrottle(EphemeralStore store, AccountsConfig.LoginThrottle config) {
        this.store = store;
        this.config = config;
    }

    private static String account(String email, String address) {
        return "acct:" + email + "|" + ClientAddresses.limitKey(address);
    }

    private static String client(String address) {
        return "addr:" + ClientAddresses.limitKey(address);
    }

    /** Throws 429 when the account (from this address) or the address must wait. */
    public void checkAllowed(String email, String address) {
        check(account(email, address));
        check(client(address));
    }

    /** Throws 429 when the address must wait (its failures of any kind). */
    public void checkAddress(String address) {
        check(client(address));
    }

    private void check(String who) {
        if (store.exists("login-block:" + who)) {
            long wait = store.ttl("login-block:" + who).map(d -> (d.toMillis() + 999) / 1000).orElse(1L);
            throw ServiceException.tooManyRequests("too many failed attempts; try again later", wait);
        }
    }

    public void failed(String email, String address) {
        count(account(email, address));
        count(client(address));
    }

    /** A failure that names no account to count against (a wrong code): the address is counted. */
    public void failedAddress(String address) {
        count(client(address));
    }

    private void count(String who) {
        long n = store.increment("login-fail:" + who, 1, Duration.ofSeconds(config.windowSeconds()));
        long blockSeconds;
        if (n >= config.maxFailures()) {
            blockSeconds = config.lockoutSeconds();
        } else if (n >= config.slowAfterFailures()) {
            long exponent = Math.min(20, n - config.slowAfterFailures() + 1);
            blockSeconds = Math.min(config.lockoutSeconds(), 1L << exponent);
        } else {
            return;
        }
        store.set("login-block:" + who, Long.toString(n), Duration.ofSeconds(blockSeconds));
    }

    public void succeeded(String email, String address) {
        store.delete("login-fail:" + account(email, address));
    }
}

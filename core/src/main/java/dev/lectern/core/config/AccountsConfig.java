package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkNotBlank;
import static dev.lectern.core.config.Checks.checkPort;
import static dev.lectern.core.config.Checks.checkPositive;
import static dev.lectern.core.config.Checks.checkRange;

import java.util.List;
import java.util.Locale;

/**
 * Accounts and access: token lifetimes, password rules, verification codes, login throttling, request rate limits and
 * the mail server that delivers codes. The JWT secret comes from {@code LECTERN_JWT_SECRET} (or a generated file).
 * {@code guestAccess}: requests and signaling connections without a token are guests on the Holo Tutor Hub seed's
 * routes (issue 20).
 */
public record AccountsConfig(
        long tokenTtlSeconds,
        long tokenRefreshBeforeSeconds,
        int minPasswordLength,
        int bcryptCost,
        List<String> adminEmails,
        long codeTtlSeconds,
        long codeResendSeconds,
        int codeMaxAttempts,
        LoginThrottle loginThrottle,
        RateLimit rateLimit,
        Smtp smtp,
        int codeGuessesPerDay,
        int codesPerAddressPerHour,
        int codesPerClientPerHour,
        OidcConfig oidc,
        boolean guestAccess) {

    public AccountsConfig {
        checkRange(tokenTtlSeconds, 60, 30L * 24 * 3600, "accounts.tokenTtlSeconds");
        checkRange(tokenRefreshBeforeSeconds, 0, tokenTtlSeconds - 1, "accounts.tokenRefreshBeforeSeconds");
        checkRange(minPasswordLength, 8, 64, "accounts.minPasswordLength");
        checkRange(bcryptCost, 4, 16, "accounts.bcryptCost");
        adminEmails = Checks.copyOf(adminEmails, "accounts.adminEmails").stream()
                .map(e -> e.trim().toLowerCase(Locale.ROOT)).toList();
        checkRange(codeTtlSeconds, 30, 86_400, "accounts.codeTtlSeconds");
        checkRange(codeResendSeconds, 1, 3600, "accounts.codeResendSeconds");
        checkRange(codeMaxAttempts, 1, 100, "accounts.codeMaxAttempts");
        if (loginThrottle == null || rateLimit == null || smtp == null || oidc == null) {
            throw new ConfigException("accounts: sections loginThrottle, rateLimit, smtp and oidc are required");
        }
        checkRange(codeGuessesPerDay, 1, 1000, "accounts.codeGuessesPerDay");
        checkRange(codesPerAddressPerHour, 1, 1000, "accounts.codesPerAddressPerHour");
        checkRange(codesPerClientPerHour, 1, 100_000, "accounts.codesPerClientPerHour");
    }

    /**
     * Failed logins, counted per account and per client address within {@code windowSeconds}: from
     * {@code slowAfterFailures} on, each further attempt must wait 2, 4, 8… seconds; from {@code maxFailures} on the
     * account or address is refused for {@code lockoutSeconds}.
     */
    public record LoginThrottle(int slowAfterFailures, int maxFailures, long windowSeconds, long lockoutSeconds) {
        public LoginThrottle {
            checkRange(slowAfterFailures, 1, 1000, "accounts.loginThrottle.slowAfterFailures");
            checkRange(maxFailures, slowAfterFailures, 10_000, "accounts.loginThrottle.maxFailures");
            checkRange(windowSeconds, 1, 86_400, "accounts.loginThrottle.windowSeconds");
            checkRange(lockoutSeconds, 1, 86_400, "accounts.loginThrottle.lockoutSeconds");
        }
    }

    /** Requests per minute per client address and per signed-in user (0 = unlimited), across all nodes. */
    public record RateLimit(int perAddressPerMinute, int perUserPerMinute) {
        public RateLimit {
            checkRange(perAddressPerMinute, 0, 10_000_000, "accounts.rateLimit.perAddressPerMinute");
            checkRange(perUserPerMinute, 0, 10_000_000, "accounts.rateLimit.perUserPerMinute");
        }
    }

    /**
     * Mail for verification codes. An empty {@code host} writes codes to the server log instead (development).
     * {@code security}: none, starttls or tls. The password comes from {@code LECTERN_SMTP_PASSWORD}.
     */
    public record Smtp(String host, int port, String security, String username, String from, int timeoutMillis) {
        public Smtp {
            host = host == null ? "" : host.trim();
            checkPort(port, "accounts.smtp.port");
            if (!List.of("none", "starttls", "tls").contains(security)) {
                throw new ConfigException("accounts.smtp.security: " + security + " (expected: none, starttls or tls)");
            }
            if (username == null) {
                throw new ConfigException("accounts.smtp.username: missing (use \"\" for none)");
            }
            checkNotBlank(from, "accounts.smtp.from");
            checkPositive(timeoutMillis, "accounts.smtp.timeoutMillis");
        }

        public boolean enabled() {
            return !host.isEmpty();
        }
    }
}

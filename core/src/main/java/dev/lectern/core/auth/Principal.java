package dev.lectern.core.auth;

import java.util.Objects;

/**
 * Who a verified token says the caller is, and until when ({@code expiresAtMillis}, epoch millis; 0 when the
 * identity does not expire, e.g. development mode): a long-lived connection opened with it is closed then.
 */
public record Principal(String userId, Role role, String tokenId, long expiresAtMillis) {
    public Principal {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(role, "role");
    }

    /** A principal without an expiry. */
    public Principal(String userId, Role role, String tokenId) {
        this(userId, role, tokenId, 0);
    }

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }

    public boolean has(Role required) {
        return role.rank() >= required.rank();
    }
}

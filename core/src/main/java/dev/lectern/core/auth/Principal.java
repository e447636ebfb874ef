package dev.lectern.core.auth;

import java.util.Objects;

/** Who a verified token says the caller is. */
public record Principal(String userId, Role role, String tokenId) {
    public Principal {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(role, "role");
    }

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }

    public boolean has(Role required) {
        return role.rank() >= required.rank();
    }
}

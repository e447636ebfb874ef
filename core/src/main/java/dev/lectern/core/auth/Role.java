package dev.lectern.core.auth;

import java.util.Locale;
import java.util.Optional;

/** Account roles, ordered: an admin may do what a tutor may, a tutor what a student may. */
public enum Role {
    STUDENT(0),
    TUTOR(1),
    ADMIN(2);

    private final int rank;

    Role(int rank) {
        this.rank = rank;
    }

    public int rank() {
        return rank;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        for (Role r : values()) {
            if (r.wireName().equals(value)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}

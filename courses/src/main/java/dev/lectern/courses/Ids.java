package dev.lectern.courses;

import dev.lectern.core.auth.Role;
import dev.lectern.core.error.ServiceException;
import java.util.Optional;
import java.util.UUID;

/** New ids, input checks and the seed's role names shared by the services. */
final class Ids {
    private Ids() {}

    static String newId() {
        return UUID.randomUUID().toString();
    }

    static String required(String value, String name, int max) {
        if (value == null || value.isBlank()) {
            throw ServiceException.badRequest(name + " is required");
        }
        return bounded(value, name, max).strip();
    }

    static String optional(String value, String name, int max) {
        return value == null ? "" : bounded(value, name, max).strip();
    }

    private static String bounded(String value, String name, int max) {
        if (value.length() > max) {
            throw ServiceException.badRequest(name + ": at most " + max + " characters");
        }
        if (value.chars().anyMatch(ch -> ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r')) {
            throw ServiceException.badRequest(name + ": control characters are not allowed");
        }
        return value;
    }

    /** The seed's role names: student, lecturer (Lectern's tutor) and admin. */
    static String roleName(Role role) {
        return role == Role.TUTOR ? "lecturer" : role.wireName();
    }

    /** Parses a role as the seed ({@code lecturer}) or Lectern ({@code tutor}) names it. */
    static Optional<Role> parseRole(String value) {
        return "lecturer".equals(value) ? Optional.of(Role.TUTOR) : Role.parse(value);
    }
}

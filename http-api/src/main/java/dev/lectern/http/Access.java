package dev.lectern.http;

import dev.lectern.core.auth.Role;

/** Who may call a route: anyone, any signed-in user, or users with at least a role. */
public record Access(boolean authenticated, Role minimumRole) {
    public static final Access PUBLIC = new Access(false, null);
    public static final Access USER = new Access(true, Role.STUDENT);
    public static final Access TUTOR = new Access(true, Role.TUTOR);
    public static final Access ADMIN = new Access(true, Role.ADMIN);
}

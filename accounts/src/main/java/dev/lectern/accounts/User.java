package dev.lectern.accounts;

import dev.lectern.core.auth.Role;
import java.util.LinkedHashMap;
import java.util.Map;

/** An account as stored. The password hash never leaves the service: {@link #view()} is what clients see. */
public record User(long id, String email, String passwordHash, Role role, String displayName, boolean disabled,
                   long createdAtMillis, long updatedAtMillis) {

    /** The public shape: no hash. */
    public Map<String, Object> view() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", Long.toString(id));
        m.put("email", email);
        m.put("role", role.wireName());
        m.put("display_name", displayName);
        m.put("disabled", disabled);
        m.put("created_at", createdAtMillis);
        return m;
    }
}

package dev.lectern.accounts;

import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Admin actions in the SQL store, append-only. Blocking: call from the blocking executor. */
public final class AuditLog {
    private final SqlDatabase db;
    private final Clock clock;

    public AuditLog(SqlDatabase db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** One recorded action. {@code actorId} is null for the system itself. */
    public record Entry(long id, Long actorId, String action, String target, String detail, String address,
                        long createdAtMillis) {
        public Map<String, Object> view() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("actor_id", actorId == null ? null : Long.toString(actorId));
            m.put("action", action);
            m.put("target", target);
            m.put("detail", detail);
            m.put("address", address);
            m.put("created_at", createdAtMillis);
            return m;
        }
    }

    public void record(Long actorId, String action, String target, String detail, String address) {
        long now = clock.millis();
        db.query(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_log (actor_id, action, target, detail,"
                    + " address, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setObject(1, actorId);
                ps.setString(2, action);
                ps.setString(3, target == null ? "" : target);
                ps.setString(4, detail == null ? "" : detail);
                ps.setString(5, address == null ? "" : address);
                ps.setLong(6, now);
                return ps.executeUpdate();
            }
        });
    }

    /** Newest first. */
    public List<Entry> recent(int offset, int limit) {
        return db.query(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, actor_id, action, target, detail, address,"
                    + " created_at FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?")) {
                ps.setInt(1, limit);
                ps.setInt(2, offset);
                List<Entry> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long actor = rs.getLong("actor_id");
                        Long actorId = rs.wasNull() ? null : actor;
                        out.add(new Entry(rs.getLong("id"), actorId, rs.getString("action"), rs.getString("target"),
                                rs.getString("detail"), rs.getString("address"), rs.getLong("created_at")));
                    }
                }
                return out;
            }
        });
    }
}

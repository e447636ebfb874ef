package dev.lectern.companions;

import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Companions in the SQL store. Blocking: call from the blocking executor. */
public final class CompanionRepository {
    private static final String COLUMNS = "id, name, subject, persona, voice, avatar, greeting, retired, created_by";

    private final SqlDatabase db;
    private final Clock clock;

    public CompanionRepository(SqlDatabase db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** A catalogue entry plus who created it ("" for the file). */
    public record Stored(Companion companion, String createdBy) {}

    /**
     * Brings the catalogue file in: new ids are inserted; ids still owned by the file are updated; ids edited through
     * the API are left alone. Returns how many rows were inserted or updated.
     */
    public int seed(List<Companion> catalogue) {
        long now = clock.millis();
        return db.transaction(c -> {
            int changed = 0;
            for (Companion e : catalogue) {
                changed += Jdbc.update(c, "INSERT INTO companions (id, name, subject, persona, voice, avatar, greeting,"
                        + " retired, source, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0,"
                        + " 'catalogue', '', ?, ?) ON CONFLICT (id) DO NOTHING",
                        e.id(), e.name(), e.subject(), e.persona(), e.voice(), e.avatar(), e.greeting(), now, now);
                changed += Jdbc.update(c, "UPDATE companions SET name = ?, subject = ?, persona = ?, voice = ?,"
                        + " avatar = ?, greeting = ?, updated_at = ? WHERE id = ? AND source = 'catalogue' AND NOT"
                        + " (name = ? AND subject = ? AND persona = ? AND voice = ? AND avatar = ? AND greeting = ?)",
                        e.name(), e.subject(), e.persona(), e.voice(), e.avatar(), e.greeting(), now, e.id(),
                        e.name(), e.subject(), e.persona(), e.voice(), e.avatar(), e.greeting());
            }
            return changed;
        });
    }

    /** Active (not retired) companions, optionally of one subject, ordered by name. */
    public List<Companion> list(String subject, int offset, int limit) {
        return db.query(c -> {
            List<Object> params = new ArrayList<>();
            String where = "retired = 0";
            if (subject != null) {
                where += " AND subject = ?";
                params.add(subject);
            }
            params.add(limit);
            params.add(offset);
            return Jdbc.list(c, "SELECT " + COLUMNS + " FROM companions WHERE " + where
                    + " ORDER BY name, id LIMIT ? OFFSET ?", CompanionRepository::read, params.toArray());
        });
    }

    public long count(String subject) {
        return db.query(c -> subject == null
                ? Jdbc.count(c, "SELECT COUNT(*) FROM companions WHERE retired = 0")
                : Jdbc.count(c, "SELECT COUNT(*) FROM companions WHERE retired = 0 AND subject = ?", subject));
    }

    /** Any companion, retired ones included (history refers to them). */
    public Optional<Stored> find(String id) {
        return db.query(c -> Jdbc.one(c, "SELECT " + COLUMNS + " FROM companions WHERE id = ?",
                rs -> new Stored(read(rs), rs.getString("created_by")), id));
    }

    /** Inserts a companion made through the API; a taken id is a DuplicateKeyException. */
    public void create(Companion companion, String createdBy) {
        long now = clock.millis();
        db.query(c -> Jdbc.update(c, "INSERT INTO companions (id, name, subject, persona, voice, avatar, greeting,"
                + " retired, source, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'api', ?, ?, ?)",
                companion.id(), companion.name(), companion.subject(), companion.persona(), companion.voice(),
                companion.avatar(), companion.greeting(), createdBy, now, now));
    }

    /** Replaces the editable fields; from now on the catalogue file leaves this entry alone. */
    public boolean update(Companion companion) {
        long now = clock.millis();
        return db.query(c -> Jdbc.update(c, "UPDATE companions SET name = ?, subject = ?, persona = ?, voice = ?,"
                + " avatar = ?, greeting = ?, source = 'api', updated_at = ? WHERE id = ? AND retired = 0",
                companion.name(), companion.subject(), companion.persona(), companion.voice(), companion.avatar(),
                companion.greeting(), now, companion.id()) == 1);
    }

    public boolean retire(String id) {
        long now = clock.millis();
        return db.query(c -> Jdbc.update(c, "UPDATE companions SET retired = 1, source = 'api', updated_at = ?"
                + " WHERE id = ? AND retired = 0", now, id) == 1);
    }

    private static Companion read(ResultSet rs) throws SQLException {
        return new Companion(rs.getString("id"), rs.getString("name"), rs.getString("subject"),
                rs.getString("persona"), rs.getString("voice"), rs.getString("avatar"), rs.getString("greeting"),
                rs.getInt("retired") != 0);
    }
}

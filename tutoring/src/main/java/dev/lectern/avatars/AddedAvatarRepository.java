package dev.lectern.avatars;

import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** Avatars added through the API, in the SQL store (so every node sees them). Blocking: call from the blocking executor. */
public final class AddedAvatarRepository {
    private static final String COLUMNS = "name, description, face_key, face_type, voice_key, voice_type, created_by,"
            + " created_at";

    private final SqlDatabase db;
    private final Clock clock;

    public AddedAvatarRepository(SqlDatabase db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** One added avatar: where its face image and voice sample are in the object store, and who added it. */
    public record AddedAvatar(String name, String description, String faceKey, String faceType, String voiceKey,
                              String voiceType, String createdBy, long createdAtMillis) {}

    public List<AddedAvatar> list() {
        return db.query(c -> Jdbc.list(c, "SELECT " + COLUMNS + " FROM avatars ORDER BY name",
                AddedAvatarRepository::read));
    }

    public Optional<AddedAvatar> find(String name) {
        return db.query(c -> Jdbc.one(c, "SELECT " + COLUMNS + " FROM avatars WHERE name = ?",
                AddedAvatarRepository::read, name));
    }

    /** Records an avatar whose objects are stored; a taken name is a {@code DuplicateKeyException}. */
    public AddedAvatar create(String name, String description, String faceKey, String faceType, String voiceKey,
                              String voiceType, String createdBy) {
        long now = clock.millis();
        db.query(c -> Jdbc.update(c, "INSERT INTO avatars (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                name, description, faceKey, faceType, voiceKey, voiceType, createdBy, now));
        return new AddedAvatar(name, description, faceKey, faceType, voiceKey, voiceType, createdBy, now);
    }

    /** Removes the row; false when there was none. */
    public boolean delete(String name) {
        return db.query(c -> Jdbc.update(c, "DELETE FROM avatars WHERE name = ?", name) == 1);
    }

    private static AddedAvatar read(ResultSet rs) throws SQLException {
        return new AddedAvatar(rs.getString("name"), rs.getString("description"), rs.getString("face_key"),
                rs.getString("face_type"), rs.getString("voice_key"), rs.getString("voice_type"),
                rs.getString("created_by"), rs.getLong("created_at"));
    }
}

package dev.lectern.accounts;

import dev.lectern.core.auth.Role;
import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** Users in the SQL store. Blocking: call from the blocking executor. E-mail addresses are stored lower-case. */
public final class UserRepository {
    private static final String COLUMNS =
            "id, email, password_hash, role, display_name, disabled, created_at, updated_at";

    private final SqlDatabase db;
    private final Clock clock;

    public UserRepository(SqlDatabase db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Inserts a user; a taken address is a {@link dev.lectern.core.store.sql.DuplicateKeyException}. */
    public User create(String email, String passwordHash, Role role, String displayName) {
        long now = clock.millis();
        return db.query(c -> Jdbc.one(c, "INSERT INTO users (email, password_hash, role, display_name, disabled,"
                + " created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?) RETURNING " + COLUMNS, UserRepository::read,
                email, passwordHash, role.wireName(), displayName, now, now).orElseThrow());
    }

    public Optional<User> byEmail(String email) {
        return db.query(c -> Jdbc.one(c, "SELECT " + COLUMNS + " FROM users WHERE email = ?", UserRepository::read,
                email));
    }

    public Optional<User> byId(long id) {
        return db.query(c -> Jdbc.one(c, "SELECT " + COLUMNS + " FROM users WHERE id = ?", UserRepository::read, id));
    }

    public boolean updatePassword(long id, String passwordHash) {
        return update("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", passwordHash, id);
    }

    public boolean updateDisplayName(long id, String displayName) {
        return update("UPDATE users SET display_name = ?, updated_at = ? WHERE id = ?", displayName, id);
    }

    public boolean setDisabled(long id, boolean disabled) {
        return update("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", disabled ? 1 : 0, id);
    }

    /** A page of users, oldest first. */
    public List<User> list(int offset, int limit) {
        return db.query(c -> Jdbc.list(c, "SELECT " + COLUMNS + " FROM users ORDER BY id LIMIT ? OFFSET ?",
                UserRepository::read, limit, offset));
    }

    public long count() {
        return db.query(c -> Jdbc.count(c, "SELECT COUNT(*) FROM users"));
    }

    private boolean update(String sql, Object value, long id) {
        long now = clock.millis();
        return db.query(c -> Jdbc.update(c, sql, value, now, id) == 1);
    }

    private static User read(ResultSet rs) throws SQLException {
        Role role = Role.parse(rs.getString("role"))
                .orElseThrow(() -> new SQLException("unknown role in users row"));
        return new User(rs.getLong("id"), rs.getString("email"), rs.getString("password_hash"), role,
                rs.getString("display_name"), rs.getInt("disabled") != 0, rs.getLong("created_at"),
                rs.getLong("updated_at"));
    }
}

package dev.lectern.files;

import dev.lectern.ai.retrieval.DocumentCatalog;
import dev.lectern.ai.retrieval.FileKind;
import dev.lectern.core.store.sql.IndexGenerations;
import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Users' uploads in the SQL store. Every read that names a file also names its owner, so another user's file is simply
 * not found. Also the catalogue every node's retrieval index follows: recording an upload's outcome and deleting a
 * file raise the owner's generation ({@link IndexGenerations}, scope {@value #SCOPE}) in the same transaction.
 * Blocking: call from the blocking executor.
 */
public final class UserFileRepository implements DocumentCatalog {
    /** The index family of users' uploads in {@code index_generations}. */
    public static final String SCOPE = "user_files";
    private static final String COLUMNS = "id, user_id, filename, file_type, object_key, size, session_id, status,"
            + " error, passages, created_at, index_version";

    private final SqlDatabase db;
    private final Clock clock;

    public UserFileRepository(SqlDatabase db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    public record UserFile(long id, String userId, String filename, String fileType, String objectKey, long size,
                           String sessionId, String status, String error, int passages, long createdAt,
                           long indexVersion) {}

    /** Records an upload as pending (before it is indexed). */
    public UserFile insert(String userId, String filename, String fileType, String objectKey, long size,
                           String sessionId) {
        long now = clock.millis();
        long id = db.query(c -> Jdbc.one(c, "INSERT INTO user_files (user_id, filename, file_type, object_key, size,"
                + " session_id, status, error, passages, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', NULL, 0, ?)"
                + " RETURNING id", rs -> rs.getLong(1), userId, filename, fileType, objectKey, size, sessionId, now)
                .orElseThrow());
        return new UserFile(id, userId, filename, fileType, objectKey, size, sessionId, "pending", null, 0, now, 0);
    }

    /**
     * Records the outcome of indexing the owner's file (an upload or a re-index) and raises the owner's generation in
     * the same transaction; returns that generation, which is also the file's index version.
     */
    public long setStatus(String userId, long id, String status, String error, int passages) {
        return db.transaction(c -> {
            long generation = IndexGenerations.bump(c, SCOPE, userId);
            Jdbc.update(c, "UPDATE user_files SET status = ?, error = ?, passages = ?, index_version = ?"
                    + " WHERE id = ? AND user_id = ?", status, error, passages, generation, id, userId);
            return generation;
        });
    }

    public Optional<UserFile> find(String userId, long id) {
        return db.query(c -> Jdbc.one(c, "SELECT " + COLUMNS + " FROM user_files WHERE id = ? AND user_id = ?",
                UserFileRepository::read, id, userId));
    }

    /** The user's files, newest first. */
    public List<UserFile> list(String userId, int offset, int limit) {
        return db.query(c -> Jdbc.list(c, "SELECT " + COLUMNS + " FROM user_files WHERE user_id = ?"
                + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", UserFileRepository::read, userId, limit, offset));
    }

    /** The bytes of the owner's stored files. */
    public long totalBytes(String userId) {
        return db.query(c -> Jdbc.count(c, "SELECT COALESCE(SUM(size), 0) FROM user_files WHERE user_id = ?", userId));
    }

    public long count(String userId) {
        return db.query(c -> Jdbc.count(c, "SELECT COUNT(*) FROM user_files WHERE user_id = ?", userId));
    }

    /** Deletes the owner's file and raises the owner's generation in the same transaction; false when not found. */
    public boolean delete(String userId, long id) {
        return db.transaction(c -> {
            if (Jdbc.update(c, "DELETE FROM user_files WHERE id = ? AND user_id = ?", id, userId) != 1) {
                return false;
            }
            IndexGenerations.bump(c, SCOPE, userId);
            return true;
        });
    }

    @Override
    public String scope() {
        return SCOPE;
    }

    @Override
    public long generation(String userId) {
        return db.query(c -> IndexGenerations.read(c, SCOPE, userId));
    }

    @Override
    public List<Entry> indexedFiles(String userId) {
        return db.query(c -> Jdbc.list(c, "SELECT " + COLUMNS + " FROM user_files WHERE user_id = ? AND status = ?"
                + " ORDER BY created_at, id", UserFileRepository::read, userId, "indexed")).stream()
                .flatMap(f -> FileKind.fromName("x." + f.fileType()).stream()
                        .map(k -> new Entry(Long.toString(f.id()), f.indexVersion(), f.filename(), k, f.objectKey())))
                .toList();
    }

    private static UserFile read(ResultSet rs) throws SQLException {
        return new UserFile(rs.getLong("id"), rs.getString("user_id"), rs.getString("filename"),
                rs.getString("file_type"), rs.getString("object_key"), rs.getLong("size"), rs.getString("session_id"),
                rs.getString("status"), rs.getString("error"), rs.getInt("passages"), rs.getLong("created_at"),
                rs.getLong("index_version"));
    }
}

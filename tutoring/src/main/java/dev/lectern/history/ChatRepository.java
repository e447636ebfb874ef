package dev.lectern.history;

import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Text chats with the AI tutor in the SQL store: conversations and their messages. Every read that names a chat
 * also names its owner, so another user's chat is simply not found. Blocking: call from the blocking executor.
 */
public final class ChatRepository {
    private static final String SESSION_COLUMNS = "s.id, s.user_id, s.title, s.companion_id, s.is_favorite,"
            + " s.created_at, s.updated_at, (SELECT COUNT(*) FROM chat_messages m WHERE m.session_id = s.id)"
            + " AS message_count";

    private final SqlDatabase db;
    private final Clock clock;

    public ChatRepository(SqlDatabase db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    public record ChatSession(long id, String userId, String title, String companionId, boolean favorite,
                              long createdAt, long updatedAt, long messageCount) {}

    /**
     * One message; {@code fileType} (document, image, audio) and {@code filePath} (the object key) name the upload a
     * message records, null otherwise.
     */
    public record ChatMessage(long id, long sessionId, String role, String content, String status, long createdAt,
                              String fileType, String filePath) {
        public ChatMessage(long id, long sessionId, String role, String content, String status, long createdAt) {
            this(id, sessionId, role, content, status, createdAt, null, null);
        }
    }

    public ChatSession create(String userId, String title, String companionId) {
        long now = clock.millis();
        long id = db.query(c -> Jdbc.one(c, "INSERT INTO chat_sessions (user_id, title, companion_id, is_favorite,"
                + " created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?) RETURNING id", rs -> rs.getLong(1),
                userId, title, companionId, now, now).orElseThrow());
        return new ChatSession(id, userId, title, companionId, false, now, now, 0);
    }

    public Optional<ChatSession> find(String userId, long sessionId) {
        return db.query(c -> Jdbc.one(c, "SELECT " + SESSION_COLUMNS + " FROM chat_sessions s WHERE s.id = ?"
                + " AND s.user_id = ?", ChatRepository::readSession, sessionId, userId));
    }

    /** A user's chats, most recently active first; favourites first when asked. */
    public List<ChatSession> list(String userId, boolean favoritesOnly, int offset, int limit) {
        return db.query(c -> Jdbc.list(c, "SELECT " + SESSION_COLUMNS + " FROM chat_sessions s WHERE s.user_id = ?"
                + (favoritesOnly ? " AND s.is_favorite = 1" : "") + " ORDER BY s.updated_at DESC, s.id DESC"
                + " LIMIT ? OFFSET ?", ChatRepository::readSession, userId, limit, offset));
    }

    public long count(String userId, boolean favoritesOnly) {
        return db.query(c -> Jdbc.count(c, "SELECT COUNT(*) FROM chat_sessions WHERE user_id = ?"
                + (favoritesOnly ? " AND is_favorite = 1" : ""), userId));
    }

    public boolean setFavorite(String userId, long sessionId, boolean favorite) {
        return db.query(c -> Jdbc.update(c, "UPDATE chat_sessions SET is_favorite = ? WHERE id = ? AND user_id = ?",
                favorite, sessionId, userId) == 1);
    }

    /** Gives a chat still called {@code placeholder} its real title (the first question); other titles stay. */
    public void retitleIfNew(long sessionId, String placeholder, String title) {
        if (!title.isEmpty()) {
            db.query(c -> Jdbc.update(c, "UPDATE chat_sessions SET title = ? WHERE id = ? AND title = ?",
                    title, sessionId, placeholder));
        }
    }

    /** Deletes a chat and its messages. */
    public boolean delete(String userId, long sessionId) {
        return db.transaction(c -> {
            if (Jdbc.count(c, "SELECT COUNT(*) FROM chat_sessions WHERE id = ? AND user_id = ?", sessionId, userId) == 0) {
                return false;
            }
            Jdbc.update(c, "DELETE FROM chat_messages WHERE session_id = ?", sessionId);
            return Jdbc.update(c, "DELETE FROM chat_sessions WHERE id = ?", sessionId) == 1;
        });
    }

    /** Appends a message to a chat the user owns and touches the chat; empty when the chat is not theirs. */
    public Optional<ChatMessage> append(String userId, long sessionId, String role, String content, String status) {
        long now = clock.millis();
        return db.transaction(c -> {
            if (Jdbc.update(c, "UPDATE chat_sessions SET updated_at = ? WHERE id = ? AND user_id = ?",
                    now, sessionId, userId) != 1) {
                return Optional.<ChatMessage>empty();
            }
            long id = Jdbc.one(c, "INSERT INTO chat_messages (session_id, role, content, status, created_at)"
                    + " VALUES (?, ?, ?, ?, ?) RETURNING id", rs -> rs.getLong(1), sessionId, role, content, status, now)
                    .orElseThrow();
            return Optional.of(new ChatMessage(id, sessionId, role, content, status, now));
        });
    }

    /** Appends to a chat whose owner the caller has already checked (the conversation service); touches the chat. */
    public ChatMessage appendChecked(long sessionId, String role, String content, String status) {
        return appendChecked(sessionId, role, content, status, null, null);
    }

    /**
     * Appends to a checked chat a message that records an upload: its category ({@code fileType}) and object key
     * ({@code filePath}); touches the chat.
     */
    public ChatMessage appendChecked(long sessionId, String role, String content, String status, String fileType,
                                     String filePath) {
        long now = clock.millis();
        return db.transaction(c -> {
            Jdbc.update(c, "UPDATE chat_sessions SET updated_at = ? WHERE id = ?", now, sessionId);
            long id = Jdbc.one(c, "INSERT INTO chat_messages (session_id, role, content, status, created_at, file_type,"
                    + " file_path) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id", rs -> rs.getLong(1), sessionId, role,
                    content, status, now, fileType, filePath).orElseThrow();
            return new ChatMessage(id, sessionId, role, content, status, now, fileType, filePath);
        });
    }

    /** The last {@code n} messages of a chat whose owner the caller has already checked, oldest first. */
    public List<ChatMessage> lastMessagesChecked(long sessionId, int n) {
        List<ChatMessage> newestFirst = db.query(c -> Jdbc.list(c, "SELECT id, session_id, role, content, status,"
                + " created_at FROM chat_messages WHERE session_id = ? ORDER BY id DESC LIMIT ?",
                ChatRepository::readMessage, sessionId, n));
        List<ChatMessage> oldestFirst = new java.util.ArrayList<>(newestFirst);
        java.util.Collections.reverse(oldestFirst);
        return oldestFirst;
    }

    /** Messages of a chat the user owns, oldest first, after {@code afterId}, at most {@code limit}. */
    public List<ChatMessage> messages(String userId, long sessionId, long afterId, int limit) {
        return db.query(c -> Jdbc.list(c, "SELECT m.id, m.session_id, m.role, m.content, m.status, m.created_at,"
                + " m.file_type, m.file_path FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                + " WHERE m.session_id = ? AND s.user_id = ? AND m.id > ? ORDER BY m.id LIMIT ?",
                ChatRepository::readMessageWithFile, sessionId, userId, afterId, limit));
    }

    /** The last {@code n} messages of a chat, oldest first (the conversation context for the model). */
    public List<ChatMessage> lastMessages(String userId, long sessionId, int n) {
        List<ChatMessage> newestFirst = db.query(c -> Jdbc.list(c, "SELECT m.id, m.session_id, m.role, m.content,"
                + " m.status, m.created_at FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                + " WHERE m.session_id = ? AND s.user_id = ? ORDER BY m.id DESC LIMIT ?", ChatRepository::readMessage,
                sessionId, userId, n));
        List<ChatMessage> oldestFirst = new java.util.ArrayList<>(newestFirst);
        java.util.Collections.reverse(oldestFirst);
        return oldestFirst;
    }

    private static ChatSession readSession(ResultSet rs) throws SQLException {
        return new ChatSession(rs.getLong("id"), rs.getString("user_id"), rs.getString("title"),
                rs.getString("companion_id"), rs.getInt("is_favorite") != 0, rs.getLong("created_at"),
                rs.getLong("updated_at"), rs.getLong("message_count"));
    }

    private static ChatMessage readMessage(ResultSet rs) throws SQLException {
        return new ChatMessage(rs.getLong("id"), rs.getLong("session_id"), rs.getString("role"),
                rs.getString("content"), rs.getString("status"), rs.getLong("created_at"));
    }

    private static ChatMessage readMessageWithFile(ResultSet rs) throws SQLException {
        return new ChatMessage(rs.getLong("id"), rs.getLong("session_id"), rs.getString("role"),
                rs.getString("content"), rs.getString("status"), rs.getLong("created_at"), rs.getString("file_type"),
                rs.getString("file_path"));
    }
}

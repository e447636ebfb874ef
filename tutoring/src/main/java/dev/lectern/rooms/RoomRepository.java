package dev.lectern.rooms;

import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Video rooms, their participants and transcripts, and the session records written when a room ends. Blocking: call
 * from the blocking executor.
 */
public final class RoomRepository {
    static final int PREVIEW_CHARS = 300;

    private final SqlDatabase db;

    public RoomRepository(SqlDatabase db) {
        this.db = db;
    }

    public record Room(String roomId, String ownerId, String companionId, String status, long createdAt, Long endedAt) {
        public boolean ended() {
            return "ended".equals(status);
        }
    }

    /** One line of a transcript; {@code audioUrl}: the tutor's spoken answer, null for people's lines. */
    public record Message(long id, String roomId, String userId, String sender, String message, long createdAt,
                          String audioUrl) {}

    /** The room's live marker in the ephemeral store; its TTL is the room's live lifetime. */
    public static String liveKey(String roomId) {
        return "room:live:" + roomId;
    }

    public record Session(long sessionId, String roomId, String userId, String companionId, long startedAt,
                          long endedAt, long durationSeconds, int messageCount, String transcriptPreview) {}

    public void createRoom(String roomId, String ownerId, String companionId, long now) {
        db.transaction(c -> {
            Jdbc.update(c, "INSERT INTO video_rooms (room_id, owner_id, companion_id, status, created_at)"
                    + " VALUES (?, ?, ?, 'active', ?)", roomId, ownerId, companionId, now);
            Jdbc.update(c, "INSERT INTO room_participants (room_id, user_id, first_joined_at) VALUES (?, ?, ?)",
                    roomId, ownerId, now);
            return null;
        });
    }

    public Optional<Room> findRoom(String roomId) {
        return db.query(c -> Jdbc.one(c, "SELECT room_id, owner_id, companion_id, status, created_at, ended_at"
                + " FROM video_rooms WHERE room_id = ?", RoomRepository::readRoom, roomId));
    }

    /** Remembers that a user took part in a room (first join only). */
    public void recordParticipant(String roomId, String userId, long now) {
        db.query(c -> Jdbc.update(c, "INSERT INTO room_participants (room_id, user_id, first_joined_at)"
                + " VALUES (?, ?, ?) ON CONFLICT (room_id, user_id) DO NOTHING", roomId, userId, now));
    }

    public List<String> participants(String roomId) {
        return db.query(c -> Jdbc.list(c, "SELECT user_id FROM room_participants WHERE room_id = ?"
                + " ORDER BY first_joined_at, user_id", rs -> rs.getString(1), roomId));
    }

    public boolean isParticipant(String roomId, String userId) {
        return db.query(c -> Jdbc.count(c, "SELECT COUNT(*) FROM room_participants WHERE room_id = ? AND user_id = ?",
                roomId, userId) > 0);
    }

    public long appendMessage(String roomId, String userId, String sender, String message, long now) {
        return appendMessage(roomId, userId, sender, message, now, null);
    }

    public long appendMessage(String roomId, String userId, String sender, String message, long now, String audioUrl) {
        return db.query(c -> Jdbc.one(c, "INSERT INTO room_messages (room_id, user_id, sender, message, created_at,"
                + " audio_url) VALUES (?, ?, ?, ?, ?, ?) RETURNING id", rs -> rs.getLong(1), roomId, userId, sender,
                message, now, audioUrl).orElseThrow());
    }

    /** Messages of a room between two instants (inclusive), oldest first, at most {@code limit}. */
    public List<Message> messages(String roomId, long fromMillis, long toMillis, int limit) {
        return db.query(c -> Jdbc.list(c, "SELECT id, room_id, user_id, sender, message, created_at, audio_url"
                + " FROM room_messages"
                + " WHERE room_id = ? AND created_at >= ? AND created_at <= ? ORDER BY created_at, id LIMIT ?",
                RoomRepository::readMessage, roomId, fromMillis, toMillis, limit));
    }

    /**
     * Ends an active room and writes one session record for each participant. Returns the records written, or an
     * empty list when the room was already ended (ending twice changes nothing).
     */
    public List<Session> endRoom(String roomId, long now) {
        return db.transaction(c -> {
            Room room = Jdbc.one(c, "SELECT room_id, owner_id, companion_id, status, created_at, ended_at"
                    + " FROM video_rooms WHERE room_id = ?", RoomRepository::readRoom, roomId).orElse(null);
            if (room == null || Jdbc.update(c, "UPDATE video_rooms SET status = 'ended', ended_at = ?"
                    + " WHERE room_id = ? AND status = 'active'", now, roomId) != 1) {
                return List.of();
            }
            int count = (int) Jdbc.count(c, "SELECT COUNT(*) FROM room_messages WHERE room_id = ? AND created_at >= ?"
                    + " AND created_at <= ?", roomId, room.createdAt(), now);
            String preview = preview(c, roomId, room.createdAt(), now);
            long duration = Math.max(0, (now - room.createdAt()) / 1000);
            Set<String> users = new LinkedHashSet<>();
            users.add(room.ownerId());
            users.addAll(Jdbc.list(c, "SELECT user_id FROM room_participants WHERE room_id = ?"
                    + " ORDER BY first_joined_at, user_id", rs -> rs.getString(1), roomId));
            List<Session> written = new java.util.ArrayList<>();
            for (String user : users) {
                long id = Jdbc.one(c, "INSERT INTO video_sessions (room_id, user_id, companion_id, started_at, ended_at,"
                        + " duration_seconds, message_count, transcript_preview) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                        + " RETURNING session_id", rs -> rs.getLong(1), roomId, user, room.companionId(),
                        room.createdAt(), now, duration, count, preview).orElseThrow();
                written.add(new Session(id, roomId, user, room.companionId(), room.createdAt(), now, duration, count,
                        preview));
            }
            return written;
        });
    }

    private static String preview(Connection c, String roomId, long from, long to) throws SQLException {
        StringBuilder sb = new StringBuilder();
        for (Message m : Jdbc.list(c, "SELECT id, room_id, user_id, sender, message, created_at, audio_url"
                + " FROM room_messages"
                + " WHERE room_id = ? AND created_at >= ? AND created_at <= ? ORDER BY created_at, id LIMIT 10",
                RoomRepository::readMessage, roomId, from, to)) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(m.sender()).append(": ").append(m.message());
            if (sb.length() >= PREVIEW_CHARS) {
                break;
            }
        }
        return sb.length() <= PREVIEW_CHARS ? sb.toString() : sb.substring(0, PREVIEW_CHARS - 1) + "…";
    }

    public List<Session> sessionsOf(String userId, int offset, int limit) {
        return db.query(c -> Jdbc.list(c, "SELECT * FROM video_sessions WHERE user_id = ?"
                + " ORDER BY ended_at DESC, session_id DESC LIMIT ? OFFSET ?", RoomRepository::readSession,
                userId, limit, offset));
    }

    public long countSessions(String userId) {
        return db.query(c -> Jdbc.count(c, "SELECT COUNT(*) FROM video_sessions WHERE user_id = ?", userId));
    }

    public Optional<Session> findSession(long sessionId) {
        return db.query(c -> Jdbc.one(c, "SELECT * FROM video_sessions WHERE session_id = ?",
                RoomRepository::readSession, sessionId));
    }

    /** Deletes history older than the cut-off: session records, rooms, their transcripts and participants. */
    public int purgeBefore(long cutoffMillis) {
        return db.transaction(c -> {
            int n = Jdbc.update(c, "DELETE FROM video_sessions WHERE ended_at < ?", cutoffMillis);
            n += Jdbc.update(c, "DELETE FROM room_messages WHERE created_at < ?", cutoffMillis);
            n += Jdbc.update(c, "DELETE FROM room_participants WHERE room_id IN (SELECT room_id FROM video_rooms"
                    + " WHERE created_at < ?)", cutoffMillis);
            n += Jdbc.update(c, "DELETE FROM video_rooms WHERE created_at < ?", cutoffMillis);
            return n;
        });
    }

    private static Room readRoom(ResultSet rs) throws SQLException {
        long ended = rs.getLong("ended_at");
        Long endedAt = rs.wasNull() ? null : ended;
        return new Room(rs.getString("room_id"), rs.getString("owner_id"), rs.getString("companion_id"),
                rs.getString("status"), rs.getLong("created_at"), endedAt);
    }

    private static Message readMessage(ResultSet rs) throws SQLException {
        return new Message(rs.getLong("id"), rs.getString("room_id"), rs.getString("user_id"), rs.getString("sender"),
                rs.getString("message"), rs.getLong("created_at"), rs.getString("audio_url"));
    }

    private static Session readSession(ResultSet rs) throws SQLException {
        return new Session(rs.getLong("session_id"), rs.getString("room_id"), rs.getString("user_id"),
                rs.getString("companion_id"), rs.getLong("started_at"), rs.getLong("ended_at"),
                rs.getLong("duration_seconds"), rs.getInt("message_count"), rs.getString("transcript_preview"));
    }
}

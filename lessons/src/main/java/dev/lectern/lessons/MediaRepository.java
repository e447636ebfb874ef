package dev.lectern.lessons;

import dev.lectern.core.store.sql.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of lesson media (both dialects): scenes' plans and rendered files, sessions' current version and edit
 * lease, lesson versions, and the size of every stored object (the owner's quota is their sum).
 */
final class MediaRepository {
    private static final String SCENE = "id, session_id, position, title, version, status, plan, video_key, "
            + "captions_key, poster_key, duration_ms";
    private static final String VERSION = "session_id, version, owner_id, video_key, captions_key, poster_key, "
            + "duration_ms, scenes, created_at";

    /** A scene as the renderer sees it: its plan (JSON) and, once rendered, its files' keys. */
    record SceneMedia(String id, String sessionId, int position, String title, int version, String status,
                      String plan, String videoKey, String captionsKey, String posterKey, long durationMs) {
        boolean rendered() {
            return !videoKey.isEmpty();
        }
    }

    /** A session's assembled lesson as it is now. */
    record SessionMedia(String videoKey, String captionsKey, String posterKey, int version) {}

    /** One rendered version of a lesson; {@code scenes} is the JSON list of its scenes ({@link SceneMedia}). */
    record Version(String sessionId, int version, String ownerId, String videoKey, String captionsKey,
                   String posterKey, long durationMs, String scenes, long createdAt) {}

    void setPlan(Connection c, String sceneId, String title, String narration, String plan, long now)
            throws SQLException {
        Jdbc.update(c, "UPDATE scenes SET title = ?, narration = ?, plan = ?, updated_at = ? WHERE id = ?", title,
                narration, plan, now, sceneId);
    }

    Optional<SceneMedia> scene(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT " + SCENE + " FROM scenes WHERE id = ?", MediaRepository::scene, id);
    }

    List<SceneMedia> scenes(Connection c, String sessionId) throws SQLException {
        return Jdbc.list(c, "SELECT " + SCENE + " FROM scenes WHERE session_id = ? ORDER BY position",
                MediaRepository::scene, sessionId);
    }

    /** Records a scene's render, only if the scene is still at the version that was rendered. */
    boolean rendered(Connection c, String sceneId, int version, String videoKey, String captionsKey, String posterKey,
                     long durationMs, long now) throws SQLException {
        return Jdbc.update(c, "UPDATE scenes SET status = 'RENDERED', video_key = ?, captions_key = ?, poster_key = ?, "
                + "duration_ms = ?, updated_at = ? WHERE id = ? AND version = ?", videoKey, captionsKey, posterKey,
                durationMs, now, sceneId, version) > 0;
    }

    void sceneStatus(Connection c, String sceneId, String status, long now) throws SQLException {
        Jdbc.update(c, "UPDATE scenes SET status = ?, updated_at = ? WHERE id = ?", status, now, sceneId);
    }

    /** A new version of a scene's content: its plan changes and its old render no longer applies. */
    void newSceneVersion(Connection c, String sceneId, String title, String narration, String plan, long now)
            throws SQLException {
        Jdbc.update(c, "UPDATE scenes SET title = ?, narration = ?, plan = ?, version = version + 1, "
                + "status = 'EDITING', video_key = '', captions_key = '', poster_key = '', duration_ms = 0, "
                + "updated_at = ? WHERE id = ?", title, narration, plan, now, sceneId);
    }

    /**
     * Puts a scene back as a version recorded it (a restore), with the narration and visual description of its plan
     * (a rendered scene's script is always empty: its plan is what it says and shows).
     */
    void restoreScene(Connection c, SceneMedia s, String narration, String visualDescription, long now)
            throws SQLException {
        Jdbc.update(c, "INSERT INTO scenes (id, session_id, position, title, script, narration, visual_description, "
                        + "status, video_url, audio_url, image_url, version, created_at, updated_at, plan, video_key, "
                        + "captions_key, poster_key, duration_ms) VALUES (?, ?, ?, ?, '', ?, ?, ?, '', '', '', ?, ?, ?, "
                        + "?, ?, ?, ?, ?)", s.id(), s.sessionId(), s.position(), s.title(), narration,
                visualDescription, s.status(), s.version(), now, now, s.plan(), s.videoKey(), s.captionsKey(),
                s.posterKey(), s.durationMs());
    }

    /**
     * Puts a scene back as it was before an edit whose render failed: its content, version and files. Only while the
     * scene is still at the failed edit's version {@code failedVersion}.
     */
    boolean revertScene(Connection c, SceneMedia before, String narration, int failedVersion, long now)
            throws SQLException {
        return Jdbc.update(c, "UPDATE scenes SET title = ?, narration = ?, plan = ?, version = ?, status = ?, "
                + "video_key = ?, captions_key = ?, poster_key = ?, duration_ms = ?, updated_at = ? WHERE id = ? AND "
                + "version = ?", before.title(), narration, before.plan(), before.version(), before.status(),
                before.videoKey(), before.captionsKey(), before.posterKey(), before.durationMs(), now, before.id(),
                failedVersion) > 0;
    }

    /**
     * Takes the session's edit lease for {@code job} until {@code until}: free, expired, or already this job's; only
     * while no generation is running, and only when no edit submitted before this one ({@code seq}, 0 for a job that
     * is not an ordered edit) is still queued. False when someone else holds it or an earlier edit must go first.
     */
    boolean lock(Connection c, String sessionId, String job, long seq, long until, long now) throws SQLException {
        return Jdbc.update(c, "UPDATE lesson_sessions SET edit_job = ?, edit_until = ? WHERE id = ? AND "
                + "(edit_job IS NULL OR edit_job = ? OR edit_until < ?) AND status NOT IN ('QUEUED', 'GENERATING', "
                + "'RENDERING') AND NOT EXISTS (SELECT 1 FROM lesson_edit_queue q WHERE q.session_id = ? AND "
                + "q.seq < ?)", job, until, sessionId, job, now, sessionId, seq) > 0;
    }

    void unlock(Connection c, String sessionId, String job) throws SQLException {
        Jdbc.update(c, "UPDATE lesson_sessions SET edit_job = NULL, edit_until = 0 WHERE id = ? AND edit_job = ?",
                sessionId, job);
    }

    /** The session's next edit sequence number (the caller's transaction holds the session row from here on). */
    long nextEditSeq(Connection c, String sessionId) throws SQLException {
        Jdbc.update(c, "UPDATE lesson_sessions SET edit_seq = edit_seq + 1 WHERE id = ?", sessionId);
        return Jdbc.count(c, "SELECT edit_seq FROM lesson_sessions WHERE id = ?", sessionId);
    }

    /** An edit job waits in the session's queue from its submission until it ends (success or not). */
    void queueEdit(Connection c, String sessionId, long seq, String jobId) throws SQLException {
        Jdbc.update(c, "INSERT INTO lesson_edit_queue (session_id, seq, job_id) VALUES (?, ?, ?)", sessionId, seq,
                jobId);
    }

    /** Whether the job is an edit of the session that has not finished yet. */
    boolean queuedEdit(Connection c, String sessionId, String jobId) throws SQLException {
        return Jdbc.count(c, "SELECT COUNT(*) FROM lesson_edit_queue WHERE session_id = ? AND job_id = ?", sessionId,
                jobId) > 0;
    }

    void dequeueEdit(Connection c, String jobId) throws SQLException {
        Jdbc.update(c, "DELETE FROM lesson_edit_queue WHERE job_id = ?", jobId);
    }

    /**
     * Gives the session's scenes the positions of {@code ids}, in order. Positions are unique per session, so the
     * scenes are first parked at negative positions (-1, -2, ...) and then put in place one by one.
     */
    void layout(Connection c, String sessionId, List<String> ids, long now) throws SQLException {
        Jdbc.update(c, "UPDATE scenes SET position = -position - 1 WHERE session_id = ? AND position >= 0",
                sessionId);
        for (int i = 0; i < ids.size(); i++) {
            Jdbc.update(c, "UPDATE scenes SET position = ?, updated_at = ? WHERE id = ?", i, now, ids.get(i));
        }
        Jdbc.update(c, "UPDATE lesson_sessions SET scene_count = ? WHERE id = ?", ids.size(), sessionId);
    }

    void deleteScene(Connection c, String sceneId) throws SQLException {
        Jdbc.update(c, "DELETE FROM scenes WHERE id = ?", sceneId);
    }

    /** Whether an edit holds the session now. */
    boolean locked(Connection c, String sessionId, long now) throws SQLException {
        return Jdbc.count(c, "SELECT COUNT(*) FROM lesson_sessions WHERE id = ? AND edit_job IS NOT NULL AND "
                + "edit_until >= ?", sessionId, now) > 0;
    }

    /** Writes the session row first: on PostgreSQL its row lock orders the scene jobs that finish together. */
    void touch(Connection c, String sessionId, long now) throws SQLException {
        Jdbc.update(c, "UPDATE lesson_sessions SET updated_at = ? WHERE id = ?", now, sessionId);
    }

    Optional<SessionMedia> session(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT video_key, captions_key, poster_key, version FROM lesson_sessions WHERE id = ?",
                rs -> new SessionMedia(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4)), id);
    }

    void setSession(Connection c, String id, SessionMedia m, String status, long now) throws SQLException {
        Jdbc.update(c, "UPDATE lesson_sessions SET video_key = ?, captions_key = ?, poster_key = ?, version = ?, "
                + "status = ?, updated_at = ? WHERE id = ?", m.videoKey(), m.captionsKey(), m.posterKey(),
                m.version(), status, now, id);
    }

    int nextVersion(Connection c, String sessionId) throws SQLException {
        return (int) Jdbc.count(c, "SELECT COALESCE(MAX(version), 0) + 1 FROM lesson_versions WHERE session_id = ?",
                sessionId);
    }

    void insertVersion(Connection c, Version v) throws SQLException {
        Jdbc.update(c, "INSERT INTO lesson_versions (" + VERSION + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                v.sessionId(), v.version(), v.ownerId(), v.videoKey(), v.captionsKey(), v.posterKey(), v.durationMs(),
                v.scenes(), v.createdAt());
    }

    List<Version> versions(Connection c, String sessionId) throws SQLException {
        return Jdbc.list(c, "SELECT " + VERSION + " FROM lesson_versions WHERE session_id = ? ORDER BY version DESC",
                MediaRepository::version, sessionId);
    }

    Optional<Version> version(Connection c, String sessionId, int version) throws SQLException {
        return Jdbc.one(c, "SELECT " + VERSION + " FROM lesson_versions WHERE session_id = ? AND version = ?",
                MediaRepository::version, sessionId, version);
    }

    /** The owner's versions that no session shows now, oldest first: what the quota may prune. */
    List<Version> prunable(Connection c, String ownerId) throws SQLException {
        return Jdbc.list(c, "SELECT v.session_id, v.version, v.owner_id, v.video_key, v.captions_key, v.poster_key, "
                + "v.duration_ms, v.scenes, v.created_at FROM lesson_versions v JOIN lesson_sessions s ON "
                + "s.id = v.session_id WHERE v.owner_id = ? AND v.version <> s.version ORDER BY v.created_at, "
                + "v.version", MediaRepository::version, ownerId);
    }

    void deleteVersion(Connection c, String sessionId, int version) throws SQLException {
        Jdbc.update(c, "DELETE FROM lesson_versions WHERE session_id = ? AND version = ?", sessionId, version);
    }

    /** Whether a session still needs the object: its current lesson or scenes, or one of its versions. */
    boolean referenced(Connection c, String sessionId, String key) throws SQLException {
        return Jdbc.count(c, "SELECT COUNT(*) FROM lesson_sessions WHERE id = ? AND (video_key = ? OR captions_key = ? "
                + "OR poster_key = ?)", sessionId, key, key, key) > 0
                || Jdbc.count(c, "SELECT COUNT(*) FROM scenes WHERE session_id = ? AND (video_key = ? OR "
                + "captions_key = ? OR poster_key = ?)", sessionId, key, key, key) > 0
                || Jdbc.count(c, "SELECT COUNT(*) FROM lesson_versions WHERE session_id = ? AND (video_key = ? OR "
                + "captions_key = ? OR poster_key = ? OR scenes LIKE ?)", sessionId, key, key, key,
                "%\"" + key + "\"%") > 0;
    }

    void addObject(Connection c, String key, String ownerId, String sessionId, long bytes, long now)
            throws SQLException {
        Jdbc.update(c, "INSERT INTO lesson_media (object_key, owner_id, session_id, bytes, created_at) "
                + "VALUES (?, ?, ?, ?, ?)", key, ownerId, sessionId, bytes, now);
    }

    void removeObject(Connection c, String key) throws SQLException {
        Jdbc.update(c, "DELETE FROM lesson_media WHERE object_key = ?", key);
    }

    /** Bytes of lesson media the owner has stored. */
    long usage(Connection c, String ownerId) throws SQLException {
        return Jdbc.count(c, "SELECT COALESCE(SUM(bytes), 0) FROM lesson_media WHERE owner_id = ?", ownerId);
    }

    /** The objects of a project's sessions (to delete with the project). */
    List<String> projectObjects(Connection c, String projectId) throws SQLException {
        return Jdbc.list(c, "SELECT object_key FROM lesson_media WHERE session_id IN (SELECT id FROM lesson_sessions "
                + "WHERE project_id = ?)", rs -> rs.getString(1), projectId);
    }

    /** Unreferenced objects of a session (after its versions changed), to delete. */
    List<String> sessionObjects(Connection c, String sessionId) throws SQLException {
        return Jdbc.list(c, "SELECT object_key FROM lesson_media WHERE session_id = ?", rs -> rs.getString(1),
                sessionId);
    }

    private static SceneMedia scene(ResultSet rs) throws SQLException {
        return new SceneMedia(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getInt(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getLong(11));
    }

    private static Version version(ResultSet rs) throws SQLException {
        return new Version(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getLong(7), rs.getString(8), rs.getLong(9));
    }
}

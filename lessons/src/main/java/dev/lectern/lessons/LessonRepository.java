package dev.lectern.lessons;

import dev.lectern.core.store.sql.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** The SQL of projects, video sessions and scenes (both dialects). Ownership is the service's to check. */
final class LessonRepository {
    private static final String PROJECT = "id, owner_id, title, description, created_at, updated_at, companion_id";
    private static final String SESSION = "id, project_id, prompt, scene_count, status, job_id, video_url, created_at, "
            + "updated_at";
    private static final String SCENE = "id, session_id, position, title, script, narration, visual_description, "
            + "status, video_url, audio_url, image_url, version, created_at, updated_at";

    void insertProject(Connection c, Project p) throws SQLException {
        Jdbc.update(c, "INSERT INTO projects (" + PROJECT + ") VALUES (?, ?, ?, ?, ?, ?, ?)", p.id(), p.ownerId(),
                p.title(), p.description(), p.createdAt(), p.updatedAt(), p.companionId());
    }

    Optional<Project> project(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT " + PROJECT + " FROM projects WHERE id = ?", LessonRepository::project, id);
    }

    List<Project> projects(Connection c, String ownerId, int limit, int offset) throws SQLException {
        return Jdbc.list(c, "SELECT " + PROJECT + " FROM projects WHERE owner_id = ? ORDER BY created_at DESC, id "
                + "LIMIT ? OFFSET ?", LessonRepository::project, ownerId, limit, offset);
    }

    long countProjects(Connection c, String ownerId) throws SQLException {
        return Jdbc.count(c, "SELECT COUNT(*) FROM projects WHERE owner_id = ?", ownerId);
    }

    void updateProject(Connection c, String id, String title, String description, String companionId, long now)
            throws SQLException {
        Jdbc.update(c, "UPDATE projects SET title = ?, description = ?, companion_id = ?, updated_at = ? WHERE id = ?",
                title, description, companionId, now, id);
    }

    /** The companion named by the project a session belongs to, or null. */
    String companionOfSession(Connection c, String sessionId) throws SQLException {
        return Jdbc.one(c, "SELECT p.companion_id FROM projects p JOIN lesson_sessions s ON s.project_id = p.id "
                + "WHERE s.id = ?", rs -> java.util.Optional.ofNullable(rs.getString(1)), sessionId)
                .flatMap(o -> o).orElse(null);
    }

    void deleteProject(Connection c, String id) throws SQLException {
        // explicit, so it does not depend on the dialect enforcing ON DELETE CASCADE
        Jdbc.update(c, "DELETE FROM scenes WHERE session_id IN (SELECT id FROM lesson_sessions WHERE project_id = ?)",
                id);
        Jdbc.update(c, "DELETE FROM lesson_sessions WHERE project_id = ?", id);
        Jdbc.update(c, "DELETE FROM projects WHERE id = ?", id);
    }

    void insertSession(Connection c, VideoSession s) throws SQLException {
        Jdbc.update(c, "INSERT INTO lesson_sessions (" + SESSION + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", s.id(),
                s.projectId(), s.prompt(), s.sceneCount(), s.status(), s.jobId(), s.videoUrl(), s.createdAt(),
                s.updatedAt());
    }

    Optional<VideoSession> session(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT " + SESSION + " FROM lesson_sessions WHERE id = ?", LessonRepository::session, id);
    }

    List<VideoSession> sessions(Connection c, String projectId) throws SQLException {
        return Jdbc.list(c, "SELECT " + SESSION + " FROM lesson_sessions WHERE project_id = ? ORDER BY created_at DESC, "
                + "id", LessonRepository::session, projectId);
    }

    void sessionQueued(Connection c, String id, String prompt, int sceneCount, String jobId, long now)
            throws SQLException {
        Jdbc.update(c, "UPDATE lesson_sessions SET status = 'QUEUED', prompt = ?, scene_count = ?, job_id = ?, "
                + "updated_at = ? WHERE id = ?", prompt, sceneCount, jobId, now, id);
    }

    void sessionStatus(Connection c, String id, String status, long now) throws SQLException {
        Jdbc.update(c, "UPDATE lesson_sessions SET status = ?, updated_at = ? WHERE id = ?", status, now, id);
    }

    /** FAILED, unless a newer generation than {@code generation} (a job id) has started since. */
    void sessionFailedIf(Connection c, String id, String generation, long now) throws SQLException {
        Jdbc.update(c, "UPDATE lesson_sessions SET status = 'FAILED', updated_at = ? WHERE id = ? AND job_id = ? AND "
                + "status IN ('RENDERING', 'ASSEMBLING')", now, id, generation);
    }

    List<Scene> scenes(Connection c, String sessionId) throws SQLException {
        return Jdbc.list(c, "SELECT " + SCENE + " FROM scenes WHERE session_id = ? ORDER BY position",
                LessonRepository::scene, sessionId);
    }

    Optional<Scene> scene(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT " + SCENE + " FROM scenes WHERE id = ?", LessonRepository::scene, id);
    }

    void deleteScenes(Connection c, String sessionId) throws SQLException {
        Jdbc.update(c, "DELETE FROM scenes WHERE session_id = ?", sessionId);
    }

    void insertScene(Connection c, Scene s) throws SQLException {
        Jdbc.update(c, "INSERT INTO scenes (" + SCENE + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", s.id(),
                s.sessionId(), s.position(), s.title(), s.script(), s.narration(), s.visualDescription(), s.status(),
                s.videoUrl(), s.audioUrl(), s.imageUrl(), s.version(), s.createdAt(), s.updatedAt());
    }

    /** Records an edit: the new script, one version up, back to EDITING until it is rendered again. */
    boolean editScene(Connection c, String id, String script, int expectedVersion, long now) throws SQLException {
        return Jdbc.update(c, "UPDATE scenes SET script = ?, status = 'EDITING', version = version + 1, "
                + "updated_at = ? WHERE id = ? AND version = ?", script, now, id, expectedVersion) > 0;
    }

    private static Project project(ResultSet rs) throws SQLException {
        return new Project(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                rs.getLong(6), rs.getString(7));
    }

    private static VideoSession session(ResultSet rs) throws SQLException {
        return new VideoSession(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getLong(8), rs.getLong(9));
    }

    private static Scene scene(ResultSet rs) throws SQLException {
        return new Scene(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                rs.getString(11), rs.getInt(12), rs.getLong(13), rs.getLong(14));
    }
}

package dev.lectern.lessons;

import dev.lectern.core.error.ServiceException;
import java.util.List;
import java.util.Locale;

/**
 * {@code POST /jobs/edit}: what to change in a session's scenes. {@code op} (null: {@code update}):
 * <ul>
 *   <li>{@code update}: scene {@code sceneId} gets its new title, narration and/or bullets (null keeps each as it
 *       is); with none of them, the model rewrites it from {@code prompt}. Only that scene is re-rendered.</li>
 *   <li>{@code insert}: a new scene at {@code position} (0-based; null appends), from its title and narration (and
 *       bullets), or written by the model from {@code prompt}. Only the new scene is rendered. Its id is the edit
 *       job's id, so later edits may already delete or move it while the insert is still queued.</li>
 *   <li>{@code delete}: scene {@code sceneId} goes; nothing is rendered.</li>
 *   <li>{@code move}: scene {@code sceneId} goes to {@code position}; nothing is rendered.</li>
 * </ul>
 * A position past the last scene means the end. Each op ends with the lesson re-assembled into a new version.
 */
public record EditRequest(String projectId, String sessionId, String sceneId, String prompt, String title,
                          String narration, List<String> bullets, Op op, Integer position) {
    /** What an edit does to the session's scenes. */
    public enum Op {
        UPDATE, INSERT, DELETE, MOVE;

        /** The op named in a request body ({@code null} or absent: update); a 400 for anything else. */
        public static Op parse(String name) {
            if (name == null || name.isBlank()) {
                return UPDATE;
            }
            try {
                return valueOf(name.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ServiceException.badRequest("op: one of update, insert, delete, move");
            }
        }

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public EditRequest {
        op = op == null ? Op.UPDATE : op;
    }

    public EditRequest(String projectId, String sessionId, String sceneId, String prompt, String title,
                       String narration, List<String> bullets) {
        this(projectId, sessionId, sceneId, prompt, title, narration, bullets, Op.UPDATE, null);
    }

    public EditRequest(String projectId, String sessionId, String sceneId, String prompt) {
        this(projectId, sessionId, sceneId, prompt, null, null, null);
    }

    boolean changesContent() {
        return title != null || narration != null || bullets != null;
    }
}

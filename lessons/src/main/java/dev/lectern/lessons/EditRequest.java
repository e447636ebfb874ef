package dev.lectern.lessons;

import java.util.List;

/**
 * {@code POST /jobs/edit}: what to change in one scene of a session. Its new title, narration and/or bullets (null
 * keeps each as it is); with none of them, the model rewrites the scene from {@code prompt}.
 */
public record EditRequest(String projectId, String sessionId, String sceneId, String prompt, String title,
                          String narration, List<String> bullets) {
    public EditRequest(String projectId, String sessionId, String sceneId, String prompt) {
        this(projectId, sessionId, sceneId, prompt, null, null, null);
    }

    boolean changesContent() {
        return title != null || narration != null || bullets != null;
    }
}

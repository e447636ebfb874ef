package dev.lectern.lessons;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The seed's {@code POST /jobs/generate} body (its {@code timestamp} is the signature's business, not ours), with
 * the caller's own scenes ({@code [{title, narration, bullets}]}, null to have the model plan them) and the lesson's
 * title.
 */
public record GenerateRequest(String projectId, String sessionId, int sceneCount, String prompt, JsonNode scenes,
                              String title) {
    public GenerateRequest(String projectId, String sessionId, int sceneCount, String prompt) {
        this(projectId, sessionId, sceneCount, prompt, null, null);
    }
}

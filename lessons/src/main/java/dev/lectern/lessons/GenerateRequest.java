package dev.lectern.lessons;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The seed's {@code POST /jobs/generate} body (its {@code timestamp} is the signature's business, not ours), with
 * the caller's own scenes ({@code [{title, narration, bullets}]}, null to have the model plan them), the lesson's
 * title, and the ids of the owner's uploads that ground the plan ({@code documentIds}; empty for none): the passages
 * the retrieval finds in them for the prompt go to the model, and the slides cite them.
 */
public record GenerateRequest(String projectId, String sessionId, int sceneCount, String prompt, JsonNode scenes,
                              String title, List<String> documentIds) {
    public GenerateRequest {
        documentIds = documentIds == null ? List.of() : List.copyOf(documentIds);
    }

    public GenerateRequest(String projectId, String sessionId, int sceneCount, String prompt, JsonNode scenes,
                           String title) {
        this(projectId, sessionId, sceneCount, prompt, scenes, title, List.of());
    }

    public GenerateRequest(String projectId, String sessionId, int sceneCount, String prompt) {
        this(projectId, sessionId, sceneCount, prompt, null, null);
    }
}

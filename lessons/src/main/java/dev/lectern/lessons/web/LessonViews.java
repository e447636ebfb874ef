package dev.lectern.lessons.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.lessons.Project;
import dev.lectern.lessons.VideoSession;
import java.util.List;

/**
 * The wire shapes of the video tutor's routes: records the handlers write, and records that document the maps the
 * lesson service answers (the contract tests prove they match). The routes declare them, so /openapi.json says exactly
 * this.
 */
public final class LessonViews {
    private LessonViews() {}

    /** A queued generation or edit; an inserted scene's id is its job's id. */
    public record Queued(String jobId, @JsonInclude(JsonInclude.Include.NON_NULL) String sceneId) {}

    /** The seed's generation request: a session's scenes from a prompt, or the scenes as given. */
    public record Generate(String projectId, String sessionId, Integer sceneCount, String prompt, Long timestamp,
                           List<PlannedScene> scenes, String title, List<String> documentIds) {
        public record PlannedScene(String title, String narration, List<String> bullets) {}
    }

    /** The seed's edit request: op update (default), insert, delete or move of a scene. */
    public record Edit(String projectId, String sessionId, String sceneId, String prompt, Long timestamp, String op,
                       String title, String narration, List<String> bullets, Integer position) {}

    public record ProjectView(String id, String title, String description, String ownerId, String companionId,
                              long createdAt, long updatedAt) {
        static ProjectView of(Project p) {
            return new ProjectView(p.id(), p.title(), p.description(), p.ownerId(), p.companionId(), p.createdAt(),
                    p.updatedAt());
        }
    }

    /** A project's fields; on a change, the ones given are set ({@code companionId} "" = the default voice). */
    public record ProjectFields(String title, String description, String companionId) {}

    public record ProjectPage(List<ProjectView> projects, long total, int page,
                              @JsonProperty("page_size") int pageSize) {}

    public record NewSession(String prompt, Integer sceneCount) {}

    public record Sessions(List<VideoSession> sessions) {}

    /**
     * A session with its scenes in order: {@code version} is the current lesson version (0 before the first), the
     * media links are signed ("" until assembled).
     */
    public record SessionView(String id, String projectId, String prompt, int sceneCount, String status,
                              String jobId, String videoUrl, long createdAt, long updatedAt, int version,
                              @JsonProperty("video_url") String videoUrlSigned,
                              @JsonProperty("captions_url") String captionsUrl,
                              @JsonProperty("poster_url") String posterUrl, List<SceneView> scenes) {}

    /** A scene; once it is rendered, with its plan, signed media links and duration. */
    public record SceneView(String id, String sessionId, int position, String title, String script, String narration,
                            String visualDescription, String status, String videoUrl, String audioUrl,
                            String imageUrl, int version, long createdAt, long updatedAt,
                            @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode plan,
                            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("video_url") String videoUrlSigned,
                            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("captions_url") String captionsUrl,
                            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("poster_url") String posterUrl,
                            @JsonInclude(JsonInclude.Include.NON_NULL) Double durationSeconds) {}

    /** One kept version of a session's lesson. */
    public record VersionView(int version, boolean current, long createdAt, double durationSeconds,
                              @JsonProperty("video_url") String videoUrl,
                              @JsonProperty("captions_url") String captionsUrl,
                              @JsonProperty("poster_url") String posterUrl) {}

    public record Versions(List<VersionView> versions) {}

    /** One change of a project: {@code {type:"subscribed"}} first, then {@code {type, projectId, data}} per change. */
    public record ProjectEvent(String type, String projectId,
                               @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode data) {}
}

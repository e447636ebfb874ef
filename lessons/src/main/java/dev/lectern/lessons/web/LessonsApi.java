package dev.lectern.lessons.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.http.Access;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Paging;
import dev.lectern.http.Router;
import dev.lectern.http.sse.EventStream;
import dev.lectern.jobs.Enqueued;
import dev.lectern.jobs.web.SignedCalls;
import dev.lectern.lessons.EditRequest;
import dev.lectern.lessons.GenerateRequest;
import dev.lectern.lessons.LessonService;
import dev.lectern.lessons.Project;
import dev.lectern.lessons.ProjectEvents;
import dev.lectern.lessons.VideoSession;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The video tutor's routes. The seed's {@code POST /jobs/generate} and {@code POST /jobs/edit} → {@code {jobId}},
 * for a signed service (X-Webhook-Signature or Standard Webhooks; a replay answers with the first job's id) or a
 * signed-in user (an {@code Idempotency-Key} header makes their retries safe). Projects, their video sessions and a
 * session's scenes in order, each only for its owner (or an admin).
 */
public final class LessonsApi {
    private static final long SSE_KEEP_ALIVE_MILLIS = 15_000;
    private final LessonService lessons;
    private final SignedCalls signed;
    private final ProjectEvents events;
    private final Executor blocking;

    /**
     * @param events   the projects' live changes
     * @param blocking where an event stream's ownership check and subscription run (SSE sources open on the event
     *                 loop)
     */
    public LessonsApi(LessonService lessons, SignedCalls signed, ProjectEvents events, Executor blocking) {
        this.lessons = lessons;
        this.signed = signed;
        this.events = events;
        this.blocking = blocking;
    }

    public void register(Router.Builder routes) {
        routes.post("/jobs/generate").blocking().json().tag("lessons").errors(400, 401, 404)
                .summary("Queue the generation of a video session's scenes (signed call or user token)")
                .example(Map.of("projectId", "…", "sessionId", "…", "sceneCount", 3,
                        "prompt", "Create a video about calculus", "timestamp", 1234567890,
                        "scenes", List.of(Map.of("title", "Limits", "narration", "A limit is where a function "
                                + "heads.", "bullets", List.of("Approaching a value")))))
                .request(LessonViews.Generate.class).returns(200, LessonViews.Queued.class)
                .handle(this::generate);
        routes.post("/jobs/edit").blocking().json().tag("lessons").errors(400, 401, 404)
                .summary("Queue an edit of a session's scenes: op update (default), insert, delete or move "
                        + "(signed call or user token)")
                .example(Map.of("projectId", "…", "sessionId", "…", "sceneId", "…", "prompt", "slower, please",
                        "timestamp", 1234567890))
                .request(LessonViews.Edit.class).returns(200, LessonViews.Queued.class)
                .handle(this::edit);
        routes.post("/api/projects").access(Access.USER).blocking().json().tag("lessons").errors(400)
                .summary("Create a project (companionId: the tutor whose voice narrates its lessons)")
                .example(Map.of("title", "Calculus", "description", "limits first", "companionId", "ada-math"))
                .request(LessonViews.ProjectFields.class).returns(201, LessonViews.ProjectView.class)
                .handle(r -> created(project(lessons.createProject(r.requirePrincipal(), text(r, "title"),
                        text(r, "description"), text(r, "companionId")))));
        routes.get("/api/projects").access(Access.USER).blocking().tag("lessons").summary("Your projects")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .errors(400).returns(200, LessonViews.ProjectPage.class).handle(this::projects);
        routes.get("/api/projects/{id}").access(Access.USER).blocking().tag("lessons").errors(404)
                .summary("One project").returns(200, LessonViews.ProjectView.class).handle(r -> ok(project(lessons.project(r.requirePrincipal(),
                        r.pathParam("id")))));
        routes.get("/api/projects/{id}/events").access(Access.USER).tag("lessons").errors(404)
                .summary("Every change to the project, its sessions, scenes and jobs, in order, as text/event-stream: "
                        + "{type:subscribed} first, then {type,projectId,data} per change")
                .returns(200, LessonViews.ProjectEvent.class)
                .sse(SSE_KEEP_ALIVE_MILLIS, this::projectEvents);
        routes.patch("/api/projects/{id}").access(Access.USER).blocking().json().tag("lessons").errors(400, 404)
                .summary("Change a project's title, description or companion (\"\" = the default voice)")
                .request(LessonViews.ProjectFields.class).returns(200, LessonViews.ProjectView.class)
                .handle(r -> ok(project(lessons.updateProject(r.requirePrincipal(), r.pathParam("id"),
                        text(r, "title"), text(r, "description"), text(r, "companionId")))));
        routes.delete("/api/projects/{id}").access(Access.USER).blocking().tag("lessons").errors(404)
                .summary("Delete a project with its sessions and scenes").returns(204, Void.class).handle(r -> {
                    lessons.deleteProject(r.requirePrincipal(), r.pathParam("id"));
                    return ApiResponse.noContent().async();
                });
        routes.post("/api/projects/{id}/sessions").access(Access.USER).blocking().json().tag("lessons")
                .errors(400, 404).summary("Start a video session (one generation run) in a project")
                .example(Map.of("prompt", "derivatives", "sceneCount", 3))
                .request(LessonViews.NewSession.class).returns(201, VideoSession.class)
                .handle(r -> created(lessons.createSession(r.requirePrincipal(), r.pathParam("id"),
                        text(r, "prompt"), body(r).path("sceneCount").asInt(3))));
        routes.get("/api/projects/{id}/sessions").access(Access.USER).blocking().tag("lessons").errors(404)
                .summary("A project's video sessions, newest first").returns(200, LessonViews.Sessions.class)
                .handle(r -> ok(new LessonViews.Sessions(lessons.sessions(r.requirePrincipal(), r.pathParam("id")))));
        routes.get("/api/sessions/{id}").access(Access.USER).blocking().tag("lessons").errors(404)
                .summary("A video session with its scenes in order; video_url, captions_url and poster_url are signed "
                        + "links (HTTP range requests) once the lesson is assembled, each scene's as soon as it is "
                        + "rendered").returns(200, LessonViews.SessionView.class).handle(r -> ok(lessons.sessionView(r.requirePrincipal(), r.pathParam("id"))));
        routes.get("/api/sessions/{id}/versions").access(Access.USER).blocking().tag("lessons").errors(404)
                .summary("Every kept version of the session's lesson, newest first, with signed media links")
                .returns(200, LessonViews.Versions.class)
                .handle(r -> ok(Map.of("versions", lessons.versions(r.requirePrincipal(), r.pathParam("id")))));
        routes.post("/api/sessions/{id}/versions/{version}/restore").access(Access.USER).blocking().tag("lessons")
                .errors(404, 409).summary("Make an earlier version of the lesson (its video and its scenes) current")
                .returns(200, LessonViews.VersionView.class)
                .handle(r -> ok(lessons.restore(r.requirePrincipal(), r.pathParam("id"), version(r))));
        routes.get("/api/scenes/{id}").access(Access.USER).blocking().tag("lessons").errors(404)
                .summary("One scene, with its signed media links once rendered").returns(200, LessonViews.SceneView.class)
                .handle(r -> ok(lessons.sceneView(r.requirePrincipal(), r.pathParam("id"))));
    }

    private CompletionStage<ApiResponse> generate(ApiRequest r) {
        SignedCalls.Caller caller = signed.require(r);
        JsonNode b = body(r);
        JsonNode scenes = b.get("scenes");
        int count = b.path("sceneCount").asInt(scenes != null && scenes.isArray() ? scenes.size() : 0);
        Enqueued e = lessons.generate(caller.principal(), new GenerateRequest(b.path("projectId").asText(null),
                b.path("sessionId").asText(null), count, b.path("prompt").asText(null),
                scenes == null || scenes.isNull() ? null : scenes, b.path("title").asText(null), strings(b, "documentIds")),
                key(r, caller));
        return ok(new LessonViews.Queued(e.id(), null));
    }

    private CompletionStage<ApiResponse> edit(ApiRequest r) {
        SignedCalls.Caller caller = signed.require(r);
        JsonNode b = body(r);
        List<String> bullets = strings(b, "bullets");
        Enqueued e = lessons.edit(caller.principal(), new EditRequest(b.path("projectId").asText(null),
                b.path("sessionId").asText(null), b.path("sceneId").asText(null), b.path("prompt").asText(null),
                text(r, "title"), text(r, "narration"), bullets, EditRequest.Op.parse(text(r, "op")),
                position(b)), key(r, caller));
        // an inserted scene's id is its job's id
        return ok(new LessonViews.Queued(e.id(),
                "insert".equalsIgnoreCase(b.path("op").asText("").strip()) ? e.id() : null));
    }

    private CompletionStage<ApiResponse> projects(ApiRequest r) {
        Principal p = r.requirePrincipal();
        Paging paging = Paging.of(r);
        return ok(new LessonViews.ProjectPage(lessons.projects(p, paging.pageSize(), paging.offset()).stream()
                .map(LessonsApi::project).toList(), lessons.countProjects(p), paging.page(), paging.pageSize()));
    }

    /** The replay key: a signed delivery's id, or the user's Idempotency-Key (scoped to them), else none. */
    private static String key(ApiRequest r, SignedCalls.Caller caller) {
        if (caller.signed()) {
            return caller.deliveryId();
        }
        String k = r.headers().get("idempotency-key");
        if (k == null || k.isBlank()) {
            return null;
        }
        if (k.length() > 100) {
            throw ServiceException.badRequest("Idempotency-Key: at most 100 characters");
        }
        return "user:" + caller.principal().userId() + ":" + k;
    }

    private static int version(ApiRequest r) {
        try {
            return Integer.parseInt(r.pathParam("version"));
        } catch (NumberFormatException e) {
            throw ServiceException.notFound("no such version");
        }
    }

    private static JsonNode body(ApiRequest r) {
        try {
            JsonNode n = Json.MAPPER.readTree(r.body());
            if (n == null || !n.isObject()) {
                throw ServiceException.badRequest("body must be a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw ServiceException.badRequest("body is not valid JSON");
        }
    }

    /** The body's optional array of strings {@code field}, or null when it is absent or null. */
    private static List<String> strings(JsonNode b, String field) {
        JsonNode n = b.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw ServiceException.badRequest(field + " must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode v : n) {
            if (!v.isTextual()) {
                throw ServiceException.badRequest(field + " must be an array of strings");
            }
            out.add(v.asText());
        }
        return out;
    }

    /** The edit's optional {@code position}: a whole number, or absent / null. */
    private static Integer position(JsonNode b) {
        JsonNode n = b.get("position");
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0) {
            throw ServiceException.badRequest("position must be a whole number >= 0");
        }
        return n.asInt();
    }

    private static String text(ApiRequest r, String field) {
        JsonNode v = body(r).get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ServiceException.badRequest(field + " must be a string");
        }
        return v.asText();
    }

    /** Checks the owner and subscribes on the blocking executor; the subscription is live before the first event. */
    private CompletionStage<EventStream> projectEvents(ApiRequest r, Executor eventLoop) {
        Principal caller = r.requirePrincipal();
        String id = r.pathParam("id");
        return CompletableFuture.supplyAsync(() -> {
            Project p = lessons.project(caller, id);
            ProjectEventStream stream = new ProjectEventStream(p.id());
            stream.attach(events.subscribe(p.id(), stream::onMessage));
            return stream;
        }, blocking);
    }

    private static LessonViews.ProjectView project(Project p) {
        return LessonViews.ProjectView.of(p);
    }

    private static CompletionStage<ApiResponse> ok(Object body) {
        return ApiResponse.json(body).async();
    }

    private static CompletionStage<ApiResponse> created(Object body) {
        return ApiResponse.json(201, body).async();
    }
}

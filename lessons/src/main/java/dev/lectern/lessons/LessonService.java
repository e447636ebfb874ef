package dev.lectern.lessons;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.Enqueued;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobContext;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.JobState;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import dev.lectern.jobs.PermanentJobFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Projects, video sessions and scenes, and the jobs that work on them. A user sees only their own (an admin sees
 * all); anything else is "not found", never a hint that it exists. {@code callerOrNull} is null for a signed
 * service-to-service call, which may name any project. Every method blocks on the database.
 *
 * <p>{@value #GENERATE} lays a session's scenes out in order (one row per scene, PLANNED, no media yet) and
 * {@value #EDIT} records an edit of one scene (a new version, EDITING); planning their content and rendering their
 * media are later stages. Each job is queued in the transaction that marks its session or scene, so neither exists
 * without the other; a replayed request gets the first job's id back and changes nothing.
 */
public final class LessonService {
    public static final String GENERATE = "video.generate";
    public static final String EDIT = "video.edit";
    public static final int MAX_SCENES = 50;
    private static final int MAX_TITLE = 200;
    private static final int MAX_TEXT = 20_000;

    private final SqlDatabase db;
    private final JobEngine engine;
    private final LessonRepository repo = new LessonRepository();
    private final ProjectEvents events;

    public LessonService(SqlDatabase db, JobEngine engine) {
        this(db, engine, null);
    }

    /** @param events where committed changes are published for live subscribers, or null for none */
    public LessonService(SqlDatabase db, JobEngine engine, ProjectEvents events) {
        this.db = db;
        this.engine = engine;
        this.events = events;
        engine.register(GENERATE, KindOptions.DEFAULTS, this::runGenerate);
        engine.register(EDIT, KindOptions.DEFAULTS, this::runEdit);
        engine.addHook((c, changed) -> {
            for (Job job : changed) {
                if (job.kind().equals(GENERATE) && (job.state() == JobState.FAILURE || job.state() == JobState.REVOKED)) {
                    repo.sessionStatus(c, sessionIdOf(job), "FAILED", System.currentTimeMillis());
                }
            }
        });
        if (events != null) {
            engine.addListener(this::onJobChange);
        }
    }

    // ---------------------------------------------------------------- projects

    public Project createProject(Principal caller, String title, String description) {
        long now = System.currentTimeMillis();
        Project p = new Project(newId(), caller.userId(), title(title), text(description, "description"), now, now);
        db.transaction(c -> {
            repo.insertProject(c, p);
            return null;
        });
        return p;
    }

    public List<Project> projects(Principal caller, int limit, int offset) {
        checkPage(limit, offset);
        return db.query(c -> repo.projects(c, caller.userId(), limit, offset));
    }

    public long countProjects(Principal caller) {
        return db.query(c -> repo.countProjects(c, caller.userId()));
    }

    public Project project(Principal caller, String id) {
        return db.query(c -> ownedProject(c, caller, id));
    }

    /** Changes the title and/or description (null keeps the current one). */
    public Project updateProject(Principal caller, String id, String title, String description) {
        long now = System.currentTimeMillis();
        Project updated = db.transaction(c -> {
            Project p = ownedProject(c, caller, id);
            String t = title == null ? p.title() : title(title);
            String d = description == null ? p.description() : text(description, "description");
            repo.updateProject(c, id, t, d, now);
            return new Project(p.id(), p.ownerId(), t, d, p.createdAt(), now);
        });
        emit(id, "project.updated", updated);
        return updated;
    }

    /** Deletes a project with its sessions and scenes (their jobs stay in the job table as history). */
    public void deleteProject(Principal caller, String id) {
        db.transaction(c -> {
            ownedProject(c, caller, id);
            repo.deleteProject(c, id);
            return null;
        });
        emit(id, "project.deleted", Map.of("id", id));
    }

    // ---------------------------------------------------------------- sessions and scenes

    public VideoSession createSession(Principal caller, String projectId, String prompt, int sceneCount) {
        checkScenes(sceneCount);
        long now = System.currentTimeMillis();
        VideoSession s = new VideoSession(newId(), projectId, text(prompt, "prompt"), sceneCount, "DRAFT", null, "",
                now, now);
        db.transaction(c -> {
            ownedProject(c, caller, projectId);
            repo.insertSession(c, s);
            return null;
        });
        emit(projectId, "session.created", s);
        return s;
    }

    public List<VideoSession> sessions(Principal caller, String projectId) {
        return db.query(c -> {
            ownedProject(c, caller, projectId);
            return repo.sessions(c, projectId);
        });
    }

    public SessionWithScenes session(Principal caller, String id) {
        return db.query(c -> {
            VideoSession s = ownedSession(c, caller, id);
            return new SessionWithScenes(s, repo.scenes(c, id));
        });
    }

    public Scene scene(Principal caller, String id) {
        return db.query(c -> {
            Scene scene = repo.scene(c, id).orElseThrow(() -> ServiceException.notFound("no such scene"));
            ownedSession(c, caller, scene.sessionId());
            return scene;
        });
    }

    // ---------------------------------------------------------------- jobs

    /**
     * Queues the generation of a session's scenes: the seed's {@code POST /jobs/generate}. The job belongs to the
     * project's owner. {@code idempotencyKey} (a signed delivery's id, or a user's Idempotency-Key) makes a replay
     * return the first job's id.
     */
    public Enqueued generate(Principal callerOrNull, GenerateRequest req, String idempotencyKey) {
        checkScenes(req.sceneCount());
        String prompt = text(req.prompt(), "prompt");
        if (prompt.isBlank()) {
            throw ServiceException.badRequest("prompt must not be empty");
        }
        ObjectNode payload = Json.MAPPER.createObjectNode().put("projectId", req.projectId())
                .put("sessionId", req.sessionId()).put("sceneCount", req.sceneCount()).put("prompt", prompt);
        Enqueued e = db.transaction(c -> {
            Project p = ownedProject(c, callerOrNull, required(req.projectId(), "projectId"));
            VideoSession s = sessionOf(c, p, required(req.sessionId(), "sessionId"));
            Enqueued queued = engine.enqueue(c, NewJob.of(GENERATE, Json.write(payload)).owner(p.ownerId())
                    .idempotencyKey(idempotencyKey));
            if (queued.created()) {
                repo.sessionQueued(c, s.id(), prompt, req.sceneCount(), queued.id(), System.currentTimeMillis());
            }
            return queued;
        });
        if (e.created()) {
            emit(req.projectId(), "session.updated", Map.of("id", req.sessionId(), "status", "QUEUED",
                    "jobId", e.id()));
        }
        engine.signal();
        return e;
    }

    /** Queues an edit of one scene: {@code POST /jobs/edit}. */
    public Enqueued edit(Principal callerOrNull, EditRequest req, String idempotencyKey) {
        String prompt = text(req.prompt(), "prompt");
        Enqueued e = db.transaction(c -> {
            Project p = ownedProject(c, callerOrNull, required(req.projectId(), "projectId"));
            VideoSession s = sessionOf(c, p, required(req.sessionId(), "sessionId"));
            Scene scene = repo.scene(c, required(req.sceneId(), "sceneId"))
                    .filter(sc -> sc.sessionId().equals(s.id()))
                    .orElseThrow(() -> ServiceException.notFound("no such scene in this session"));
            ObjectNode payload = Json.MAPPER.createObjectNode().put("projectId", p.id()).put("sessionId", s.id())
                    .put("sceneId", scene.id()).put("version", scene.version()).put("prompt", prompt);
            return engine.enqueue(c, NewJob.of(EDIT, Json.write(payload)).owner(p.ownerId())
                    .idempotencyKey(idempotencyKey));
        });
        engine.signal();
        return e;
    }

    private String runGenerate(JobContext ctx) throws Exception {
        JsonNode p = Json.MAPPER.readTree(ctx.payload());
        String sessionId = p.path("sessionId").asText();
        int count = p.path("sceneCount").asInt();
        long now = System.currentTimeMillis();
        boolean exists = db.transaction(c -> {
            if (repo.session(c, sessionId).isEmpty()) {
                return false;
            }
            repo.sessionStatus(c, sessionId, "GENERATING", now);
            repo.deleteScenes(c, sessionId); // a rerun starts the layout afresh
            return true;
        });
        if (!exists) {
            throw new PermanentJobFailure("session " + sessionId + " no longer exists");
        }
        String projectId = p.path("projectId").asText();
        emit(projectId, "session.updated", Map.of("id", sessionId, "status", "GENERATING"));
        ArrayNode ids = Json.MAPPER.createArrayNode();
        for (int i = 0; i < count; i++) {
            ctx.checkCancelled();
            long t = System.currentTimeMillis();
            Scene scene = new Scene(newId(), sessionId, i, "Scene " + (i + 1), "", "", "", "PLANNED", "", "", "", 1,
                    t, t);
            db.transaction(c -> {
                repo.insertScene(c, scene);
                return null;
            });
            emit(projectId, "scene.created", scene);
            ids.add(scene.id());
            ctx.progress(100.0 * (i + 1) / count, "scene " + (i + 1) + " of " + count,
                    Json.write(Map.of("sessionId", sessionId, "scenes", ids)));
        }
        db.transaction(c -> {
            repo.sessionStatus(c, sessionId, "PLANNED", System.currentTimeMillis());
            return null;
        });
        emit(projectId, "session.updated", Map.of("id", sessionId, "status", "PLANNED"));
        return Json.write(Map.of("sessionId", sessionId, "scenes", ids));
    }

    private String runEdit(JobContext ctx) throws Exception {
        JsonNode p = Json.MAPPER.readTree(ctx.payload());
        String sceneId = p.path("sceneId").asText();
        int version = p.path("version").asInt();
        Optional<Scene> edited = db.transaction(c -> {
            Scene s = repo.scene(c, sceneId).orElseThrow(() -> new PermanentJobFailure("scene " + sceneId + " gone"));
            if (!repo.editScene(c, sceneId, s.script(), version, System.currentTimeMillis())) {
                return Optional.<Scene>empty();
            }
            return repo.scene(c, sceneId);
        });
        Scene s = edited.orElseThrow(() -> new PermanentJobFailure(
                "scene " + sceneId + " changed since the edit was asked for (version " + version + ")"));
        emit(p.path("projectId").asText(), "scene.updated", s);
        return Json.write(Map.of("sceneId", s.id(), "version", s.version(), "status", s.status()));
    }

    // ---------------------------------------------------------------- live events

    private void emit(String projectId, String type, Object data) {
        if (events != null && projectId != null && !projectId.isEmpty()) {
            events.publish(projectId, type, data);
        }
    }

    /** A lesson job's committed change (on the node that made it) goes to its project's subscribers. */
    private void onJobChange(Job job) {
        if (!job.kind().equals(GENERATE) && !job.kind().equals(EDIT)) {
            return;
        }
        String projectId = payloadField(job, "projectId");
        if (projectId.isEmpty()) {
            return;
        }
        events.publishJob(projectId, job);
        if (job.kind().equals(GENERATE) && (job.state() == JobState.FAILURE || job.state() == JobState.REVOKED)) {
            emit(projectId, "session.updated", Map.of("id", sessionIdOf(job), "status", "FAILED"));
        }
    }

    // ---------------------------------------------------------------- checks

    private Project ownedProject(Connection c, Principal caller, String id) throws SQLException {
        return repo.project(c, id)
                .filter(p -> caller == null || caller.isAdmin() || p.ownerId().equals(caller.userId()))
                .orElseThrow(() -> ServiceException.notFound("no such project"));
    }

    private VideoSession ownedSession(Connection c, Principal caller, String id) throws SQLException {
        VideoSession s = repo.session(c, id).orElseThrow(() -> ServiceException.notFound("no such session"));
        try {
            ownedProject(c, caller, s.projectId());
        } catch (ServiceException e) {
            throw ServiceException.notFound("no such session");
        }
        return s;
    }

    private VideoSession sessionOf(Connection c, Project p, String sessionId) throws SQLException {
        return repo.session(c, sessionId).filter(s -> s.projectId().equals(p.id()))
                .orElseThrow(() -> ServiceException.notFound("no such session in this project"));
    }

    private static String required(String value, String name) {
        if (value == null || value.isBlank()) {
            throw ServiceException.badRequest(name + " is required");
        }
        return value;
    }

    private static String title(String title) {
        if (title == null || title.isBlank() || title.length() > MAX_TITLE) {
            throw ServiceException.badRequest("title: 1-" + MAX_TITLE + " characters");
        }
        return title.strip();
    }

    private static String text(String value, String name) {
        if (value == null) {
            return "";
        }
        if (value.length() > MAX_TEXT) {
            throw ServiceException.badRequest(name + ": at most " + MAX_TEXT + " characters");
        }
        return value;
    }

    private static void checkScenes(int n) {
        if (n < 1 || n > MAX_SCENES) {
            throw ServiceException.badRequest("sceneCount: 1-" + MAX_SCENES);
        }
    }

    private static void checkPage(int limit, int offset) {
        if (limit < 1 || limit > 200 || offset < 0) {
            throw ServiceException.badRequest("limit: 1-200, offset: >= 0");
        }
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }

    private static String sessionIdOf(Job job) {
        return payloadField(job, "sessionId");
    }

    private static String payloadField(Job job, String field) {
        try {
            return Json.MAPPER.readTree(job.payload()).path(field).asText("");
        } catch (java.io.IOException e) {
            return "";
        }
    }
}

package dev.lectern.lessons;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.ai.retrieval.Passage;
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
import dev.lectern.lessons.plan.Cancellation;
import dev.lectern.lessons.plan.LessonPlan;
import dev.lectern.lessons.plan.LessonPlanner;
import dev.lectern.lessons.plan.PlanException;
import dev.lectern.lessons.plan.PlanValidator;
import dev.lectern.lessons.plan.PlannedScene;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Projects, video sessions and scenes, and the jobs that work on them. A user sees only their own (an admin sees
 * all); anything else is "not found", never a hint that it exists. {@code callerOrNull} is null for a signed
 * service-to-service call, which may name any project. Every method blocks on the database.
 *
 * <p>{@value #GENERATE} plans the lesson (the caller's own scenes, or the model's plan) and lays its scenes out in
 * order; with a {@link LessonStudio} it queues one {@value VideoPipeline#SCENE} job per scene in the same
 * transaction, the last of which queues the assembly (see {@link VideoPipeline}). {@value #EDIT} writes a new version
 * of one scene, re-renders it alone and re-assembles, serialised per session. Each job is queued in the transaction
 * that marks its session, so neither exists without the other; a replayed request gets the first job's id back and
 * changes nothing.
 */
public final class LessonService implements AutoCloseable {
    public static final String GENERATE = "video.generate";
    public static final String EDIT = "video.edit";
    public static final int MAX_SCENES = 50;
    private static final int MAX_TITLE = 200;
    private static final int MAX_TEXT = 20_000;

    private final SqlDatabase db;
    private final JobEngine engine;
    private final LessonRepository repo = new LessonRepository();
    private final ProjectEvents events;
    private final MediaRepository media = new MediaRepository();
    private final PlanValidator validator = new PlanValidator(MAX_SCENES);
    private final VideoPipeline pipeline; // null: scenes are planned and laid out, never rendered

    public LessonService(SqlDatabase db, JobEngine engine) {
        this(db, engine, null, null);
    }

    public LessonService(SqlDatabase db, JobEngine engine, ProjectEvents events) {
        this(db, engine, events, null);
    }

    /**
     * @param events where committed changes are published for live subscribers, or null for none
     * @param studio what renders the scenes into videos, or null to plan and lay them out only
     */
    public LessonService(SqlDatabase db, JobEngine engine, ProjectEvents events, LessonStudio studio) {
        this.db = db;
        this.engine = engine;
        this.events = events;
        this.pipeline = studio == null ? null : new VideoPipeline(db, engine, studio, this::emit);
        engine.register(GENERATE, KindOptions.DEFAULTS, this::runGenerate);
        engine.register(EDIT, VideoPipeline.WAITING, this::runEdit);
        engine.addHook((c, changed) -> {
            for (Job job : changed) {
                if (job.kind().equals(EDIT) && job.state().isFinal()) {
                    media.dequeueEdit(c, job.id()); // a failed or cancelled edit lets the next one go
                }
                if (!failed(job)) {
                    continue;
                }
                if (job.kind().equals(GENERATE)) {
                    repo.sessionStatus(c, sessionIdOf(job), "FAILED", System.currentTimeMillis());
                } else if (job.kind().equals(VideoPipeline.SCENE) || job.kind().equals(VideoPipeline.ASSEMBLE)) {
                    // only while the session still runs that generation (a newer one is not failed by an old job)
                    repo.sessionFailedIf(c, sessionIdOf(job), payloadField(job, "generation"),
                            System.currentTimeMillis());
                }
            }
        });
        if (events != null) {
            engine.addListener(this::onJobChange);
        }
    }

    // ---------------------------------------------------------------- projects

    public Project createProject(Principal caller, String title, String description) {
        return createProject(caller, title, description, null);
    }

    /** A project whose lessons the companion {@code companionId} narrates in its voice (null: the default voice). */
    public Project createProject(Principal caller, String title, String description, String companionId) {
        long now = System.currentTimeMillis();
        Project p = new Project(newId(), caller.userId(), title(title), text(description, "description"), now, now,
                companion(companionId));
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
        return updateProject(caller, id, title, description, null);
    }

    /**
     * Changes the title, description and/or companion (null keeps each as it is; a blank companion goes back to the
     * default voice).
     */
    public Project updateProject(Principal caller, String id, String title, String description, String companionId) {
        long now = System.currentTimeMillis();
        String companion = companionId == null ? null : companion(companionId);
        Project updated = db.transaction(c -> {
            Project p = ownedProject(c, caller, id);
            String t = title == null ? p.title() : title(title);
            String d = description == null ? p.description() : text(description, "description");
            String k = companionId == null ? p.companionId() : companion;
            repo.updateProject(c, id, t, d, k, now);
            return new Project(p.id(), p.ownerId(), t, d, p.createdAt(), now, k);
        });
        emit(id, "project.updated", updated);
        return updated;
    }

    /** Deletes a project with its sessions and scenes (their jobs stay in the job table as history). */
    public void deleteProject(Principal caller, String id) {
        List<String> objects = db.transaction(c -> {
            ownedProject(c, caller, id);
            List<String> keys = media.projectObjects(c, id);
            for (String k : keys) {
                media.removeObject(c, k);
            }
            repo.deleteProject(c, id);
            return keys;
        });
        if (pipeline != null) {
            pipeline.deleteObjects(objects);
        }
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

    /**
     * The session as the API shows it: its fields, {@code version} (the current lesson version, 0 before the first)
     * and signed {@code video_url}, {@code captions_url} and {@code poster_url} ("" until assembled), and its scenes in
     * order, each with its own signed media URLs and duration.
     */
    public Map<String, Object> sessionView(Principal caller, String id) {
        return db.query(c -> {
            VideoSession s = ownedSession(c, caller, id);
            MediaRepository.SessionMedia m = media.session(c, id).orElseThrow();
            Map<String, Object> view = new LinkedHashMap<>(Json.MAPPER.convertValue(s, Map.class));
            view.put("version", m.version());
            view.put("video_url", url(m.videoKey()));
            view.put("captions_url", url(m.captionsKey()));
            view.put("poster_url", url(m.posterKey()));
            view.put("videoUrl", url(m.videoKey()));
            Map<String, MediaRepository.SceneMedia> byId = new java.util.HashMap<>();
            media.scenes(c, id).forEach(sm -> byId.put(sm.id(), sm));
            List<Map<String, Object>> scenes = new ArrayList<>();
            for (Scene scene : repo.scenes(c, id)) {
                scenes.add(sceneView(scene, byId.get(scene.id())));
            }
            view.put("scenes", scenes);
            return view;
        });
    }

    /** One scene as the API shows it (with its signed media URLs). */
    public Map<String, Object> sceneView(Principal caller, String id) {
        return db.query(c -> {
            Scene scene = repo.scene(c, id).orElseThrow(() -> ServiceException.notFound("no such scene"));
            ownedSession(c, caller, scene.sessionId());
            return sceneView(scene, media.scene(c, id).orElse(null));
        });
    }

    private Map<String, Object> sceneView(Scene scene, MediaRepository.SceneMedia m) {
        Map<String, Object> view = new LinkedHashMap<>(Json.MAPPER.convertValue(scene, Map.class));
        if (m != null) {
            view.put("plan", m.plan().isEmpty() ? null : Json.MAPPER.convertValue(readTree(m.plan()), Map.class));
            view.put("video_url", url(m.videoKey()));
            view.put("captions_url", url(m.captionsKey()));
            view.put("poster_url", url(m.posterKey()));
            view.put("videoUrl", url(m.videoKey()));
            view.put("imageUrl", url(m.posterKey()));
            view.put("durationSeconds", m.durationMs() / 1000.0);
        }
        return view;
    }

    private String url(String key) {
        return pipeline == null || key.isEmpty() ? "" : pipeline.url(key);
    }

    /** The rendered versions of a session's lesson, newest first. */
    public List<Map<String, Object>> versions(Principal caller, String sessionId) {
        db.query(c -> ownedSession(c, caller, sessionId));
        return pipeline == null ? List.of() : pipeline.versions(sessionId);
    }

    /** Makes an earlier version of the lesson (its files and its scenes) the current one again. */
    public Map<String, Object> restore(Principal caller, String sessionId, int version) {
        VideoSession s = db.query(c -> ownedSession(c, caller, sessionId));
        if (pipeline == null) {
            throw ServiceException.notFound("no such version");
        }
        return pipeline.restore(s.projectId(), sessionId, version);
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
        if (req.scenes() != null && !req.scenes().isNull()) {
            // checked now, so that a bad list is a 400 for the caller rather than a failed job
            lessonPlan(req.scenes(), req.title() == null ? prompt : req.title());
            payload.set("scenes", req.scenes());
        }
        if (req.title() != null) {
            payload.put("title", text(req.title(), "title"));
        }
        if (!req.documentIds().isEmpty()) {
            payload.set("sources", Json.MAPPER.valueToTree(sources(callerOrNull, req, prompt)));
        }
        checkQuota(callerOrNull, req.projectId());
        Enqueued e = db.transaction(c -> {
            Project p = ownedProject(c, callerOrNull, required(req.projectId(), "projectId"));
            VideoSession s = sessionOf(c, p, required(req.sessionId(), "sessionId"));
            Enqueued queued = engine.enqueue(c, NewJob.of(GENERATE, Json.write(payload)).owner(p.ownerId())
                    .idempotencyKey(idempotencyKey));
            if (queued.created()) {
                repo.sessionQueued(c, s.id(), prompt, req.sceneCount(), queued.id(), System.currentTimeMillis());
                // told before the commit: once it commits a worker can start the job at once, and a QUEUED sent
                // after the job's own GENERATING and RENDERING reached the project's subscribers after them, so
                // the console showed a rendering lesson as queued. Publishing only queues the message (one
                // publisher thread, in call order); should the commit fail, the caller gets the error and the
                // session's real state is one GET away.
                emit(req.projectId(), "session.updated", Map.of("id", req.sessionId(), "status", "QUEUED",
                        "jobId", queued.id()));
            }
            return queued;
        });
        engine.signal();
        return e;
    }

    /**
     * Queues an edit of a session's scenes: {@code POST /jobs/edit} (see {@link EditRequest} for the ops). The edit
     * takes the session's next sequence number in the transaction that queues it: edits of one session run in the
     * order they were submitted.
     */
    public Enqueued edit(Principal callerOrNull, EditRequest req, String idempotencyKey) {
        String prompt = text(req.prompt(), "prompt");
        EditRequest.Op op = req.op();
        if ((op == EditRequest.Op.UPDATE || op == EditRequest.Op.INSERT) && !req.changesContent()
                && prompt.isBlank()) {
            throw ServiceException.badRequest("an edit needs a prompt, or a new title, narration or bullets");
        }
        if (op == EditRequest.Op.INSERT && req.changesContent() && (req.title() == null || req.narration() == null)) {
            throw ServiceException.badRequest("an inserted scene needs its title and narration (or only a prompt)");
        }
        if (op == EditRequest.Op.MOVE && req.position() == null) {
            throw ServiceException.badRequest("a move needs the scene's new position");
        }
        checkQuota(callerOrNull, req.projectId());
        Enqueued e = db.transaction(c -> {
            Project p = ownedProject(c, callerOrNull, required(req.projectId(), "projectId"));
            VideoSession s = sessionOf(c, p, required(req.sessionId(), "sessionId"));
            List<Scene> scenes = repo.scenes(c, s.id());
            ObjectNode payload = Json.MAPPER.createObjectNode().put("projectId", p.id()).put("sessionId", s.id())
                    .put("op", op.name().toLowerCase(java.util.Locale.ROOT)).put("prompt", prompt);
            if (req.position() != null) {
                // edits queued before this one may still change the count: past the end means the end
                if (req.position() < 0 || req.position() >= MAX_SCENES) {
                    throw ServiceException.badRequest("position: 0-" + (MAX_SCENES - 1));
                }
                payload.put("position", req.position());
            }
            if (op == EditRequest.Op.INSERT) {
                if (scenes.size() >= MAX_SCENES) {
                    throw ServiceException.badRequest("a lesson has at most " + MAX_SCENES + " scenes");
                }
                payload.put("version", 0); // the new scene's id is the job's: known to the caller at once
                if (req.changesContent()) {
                    payload.set("scene", Json.MAPPER.valueToTree(changed(new PlannedScene("", "", List.of()), req)));
                }
            } else if (op != EditRequest.Op.UPDATE && repo.scene(c, required(req.sceneId(), "sceneId")).isEmpty()
                    && media.queuedEdit(c, s.id(), req.sceneId())) {
                // a scene that an insert queued before this edit will create (its id is the insert's job id)
                payload.put("sceneId", req.sceneId()).put("version", 0);
            } else {
                Scene scene = repo.scene(c, required(req.sceneId(), "sceneId"))
                        .filter(sc -> sc.sessionId().equals(s.id()))
                        .orElseThrow(() -> ServiceException.notFound("no such scene in this session"));
                payload.put("sceneId", scene.id()).put("version", scene.version());
                if (op == EditRequest.Op.DELETE && scenes.size() <= 1) {
                    throw ServiceException.badRequest("a lesson keeps at least one scene");
                }
                if (op == EditRequest.Op.UPDATE && req.changesContent()) {
                    PlannedScene now = media.scene(c, scene.id()).filter(m -> !m.plan().isEmpty())
                            .map(VideoPipeline::plannedScene)
                            .orElse(new PlannedScene(scene.title(), scene.narration(), List.of()));
                    payload.set("scene", Json.MAPPER.valueToTree(changed(now, req)));
                }
            }
            long seq = media.nextEditSeq(c, s.id());
            payload.put("seq", seq);
            Enqueued queued = engine.enqueue(c, NewJob.of(EDIT, Json.write(payload)).owner(p.ownerId())
                    .idempotencyKey(idempotencyKey));
            if (queued.created()) {
                media.queueEdit(c, s.id(), seq, queued.id());
            }
            return queued;
        });
        engine.signal();
        return e;
    }

    private String runGenerate(JobContext ctx) throws Exception {
        JsonNode p = Json.MAPPER.readTree(ctx.payload());
        String sessionId = p.path("sessionId").asText();
        String projectId = p.path("projectId").asText();
        int count = p.path("sceneCount").asInt();
        String prompt = p.path("prompt").asText();
        boolean exists = db.transaction(c -> {
            if (repo.session(c, sessionId).isEmpty()) {
                return false;
            }
            repo.sessionStatus(c, sessionId, "GENERATING", System.currentTimeMillis());
            return true;
        });
        if (!exists) {
            throw new PermanentJobFailure("session " + sessionId + " no longer exists");
        }
        emit(projectId, "session.updated", Map.of("id", sessionId, "status", "GENERATING"));
        ctx.progress(5, "planning", null);
        LessonPlan plan;
        List<Passage> sources = p.has("sources") ? Json.MAPPER.convertValue(p.get("sources"),
                Json.MAPPER.getTypeFactory().constructCollectionType(List.class, Passage.class)) : List.of();
        if (p.has("scenes")) {
            plan = lessonPlan(p.get("scenes"), p.path("title").asText(prompt), sources);
        } else if (pipeline == null || pipeline.planner() == null) {
            throw new PermanentJobFailure("model_not_configured: no language model is configured on this node, so "
                    + "the lesson cannot be planned; send the scenes yourself ({scenes:[{title, narration, "
                    + "bullets}]})");
        } else {
            plan = plan(ctx, prompt, count, sources, new Cancellation());
        }
        ctx.checkCancelled();
        long now = System.currentTimeMillis();
        List<Scene> scenes = new ArrayList<>();
        for (int i = 0; i < plan.scenes().size(); i++) {
            PlannedScene ps = plan.scenes().get(i);
            scenes.add(new Scene(newId(), sessionId, i, clip(ps.title(), MAX_TITLE), "", ps.narration(),
                    ps.visualNote(), "PLANNED", "", "", "", 1, now, now));
        }
        List<String> sceneJobs = db.transaction(c -> {
            repo.deleteScenes(c, sessionId); // a rerun starts the layout afresh (old versions keep their scenes)
            List<String> jobs = new ArrayList<>();
            for (int i = 0; i < scenes.size(); i++) {
                Scene scene = scenes.get(i);
                repo.insertScene(c, scene);
                media.setPlan(c, scene.id(), scene.title(), scene.narration(), Json.write(plan.scenes().get(i)), now);
                if (pipeline != null) {
                    jobs.add(engine.enqueue(c, VideoPipeline.sceneJob(projectId, sessionId, scene.id(), ctx.owner(),
                            ctx.jobId()))
                            .id());
                }
            }
            repo.sessionStatus(c, sessionId, pipeline == null ? "PLANNED" : "RENDERING", System.currentTimeMillis());
            return jobs;
        });
        engine.signal();
        ArrayNode ids = Json.MAPPER.createArrayNode();
        for (Scene scene : scenes) {
            emit(projectId, "scene.created", scene);
            ids.add(scene.id());
        }
        String status = pipeline == null ? "PLANNED" : "RENDERING";
        emit(projectId, "session.updated", Map.of("id", sessionId, "status", status));
        ctx.progress(100, scenes.size() + " scenes planned", null);
        return Json.write(Map.of("sessionId", sessionId, "title", plan.title(), "scenes", ids, "sceneJobs",
                sceneJobs));
    }

    /** The model's plan, cancelled with the job. */
    private LessonPlan plan(JobContext ctx, String prompt, int count, List<Passage> sources, Cancellation cancel) {
        java.util.concurrent.ScheduledExecutorService poll = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor();
        try {
            poll.scheduleWithFixedDelay(() -> {
                if (ctx.isCancelled()) {
                    cancel.cancel();
                }
            }, 250, 250, java.util.concurrent.TimeUnit.MILLISECONDS);
            return pipeline.planner().plan(new LessonPlanner.Request(prompt, count, sources, ""), cancel);
        } catch (PlanException e) {
            throw VideoPipeline.failure(e);
        } finally {
            poll.shutdownNow();
        }
    }

    /**
     * The passages of the request's documents that ground its plan: found by the retrieval over the project owner's
     * uploads, at most {@link LessonPlanner#MAX_SOURCES}. A 400 when this node has no retrieval or a document is not
     * one of the owner's.
     */
    private List<Passage> sources(Principal callerOrNull, GenerateRequest req, String prompt) {
        if (req.documentIds().size() > 20) {
            throw ServiceException.badRequest("documentIds: at most 20");
        }
        LessonSources sources = pipeline == null ? null : pipeline.sources();
        if (sources == null) {
            throw ServiceException.badRequest("this server has no document retrieval, so documentIds cannot ground "
                    + "a lesson");
        }
        Project p = db.query(c -> ownedProject(c, callerOrNull, required(req.projectId(), "projectId")));
        List<Passage> found = sources.passages(p.ownerId(), req.documentIds(), prompt);
        return found.size() <= LessonPlanner.MAX_SOURCES ? found : found.subList(0, LessonPlanner.MAX_SOURCES);
    }

    /** The caller's scenes checked by the plan's rules: a 400 naming what is wrong. */
    private LessonPlan lessonPlan(JsonNode scenes, String title) {
        return lessonPlan(scenes, title, List.of());
    }

    private LessonPlan lessonPlan(JsonNode scenes, String title, List<Passage> sources) {
        PlanValidator.Result r = validator.validateScenes(scenes, clip(title == null || title.isBlank() ? "Lesson"
                : title.strip(), PlanValidator.MAX_TITLE_CHARS), sources);
        if (!r.valid()) {
            throw new PlanException("invalid_scenes", "the scenes are invalid", r.errors());
        }
        return r.plan();
    }

    /** The scene with the edit's new title, narration and bullets, checked like a caller's scene. */
    private PlannedScene changed(PlannedScene now, EditRequest req) {
        ObjectNode scene = Json.MAPPER.createObjectNode()
                .put("title", req.title() != null ? req.title() : now.title())
                .put("narration", req.narration() != null ? req.narration() : now.narration());
        scene.set("bullets", Json.MAPPER.valueToTree(req.bullets() != null ? req.bullets() : now.bullets()));
        if (now.block() != null && req.bullets() == null) {
            scene.set("block", Json.MAPPER.createObjectNode().put("kind", now.block().kind().name().toLowerCase(
                    java.util.Locale.ROOT)).put("text", now.block().text()).put("language", now.block().language()));
        }
        PlannedScene next = lessonPlan(Json.MAPPER.createArrayNode().add(scene), "Lesson").scenes().get(0);
        return new PlannedScene(next.title(), next.narration(), next.bullets(), next.block(), now.visualNote(),
                now.citations());
    }

    private void checkQuota(Principal callerOrNull, String projectId) {
        if (pipeline == null || projectId == null) {
            return;
        }
        String owner = db.query(c -> repo.project(c, projectId)).map(Project::ownerId).orElse(null);
        if (owner != null && (callerOrNull == null || callerOrNull.isAdmin() || owner.equals(callerOrNull.userId()))
                && pipeline.overQuota(owner)) {
            throw new ServiceException(507, "storage_quota_exceeded", "this user's lesson media fill the quota "
                    + "(lessons.mediaQuotaBytes) and no old version is left to prune; delete a project first");
        }
    }

    private String runEdit(JobContext ctx) throws Exception {
        JsonNode p = Json.MAPPER.readTree(ctx.payload());
        String projectId = p.path("projectId").asText();
        EditRequest.Op op = EditRequest.Op.parse(p.path("op").asText(null));
        String sceneId = op == EditRequest.Op.INSERT ? ctx.jobId() : p.path("sceneId").asText();
        PlannedScene changed = p.has("scene") ? Json.MAPPER.treeToValue(p.get("scene"), PlannedScene.class) : null;
        if (pipeline != null) {
            return pipeline.edit(ctx, projectId, p.path("sessionId").asText(), new VideoPipeline.EditJob(op, sceneId,
                    p.path("version").asInt(), changed, p.path("prompt").asText(), p.hasNonNull("position")
                    ? p.get("position").asInt() : null, p.path("seq").asLong(0)));
        }
        if (op != EditRequest.Op.UPDATE) {
            throw new PermanentJobFailure("lessons are not rendered on this node, so only a scene's content can be "
                    + "edited here");
        }
        if (changed == null) {
            throw new PermanentJobFailure("model_not_configured: no language model is configured, so a prompt "
                    + "cannot rewrite the scene; send its new title, narration or bullets instead");
        }
        int version = p.path("version").asInt();
        Optional<Scene> edited = db.transaction(c -> {
            Scene s = repo.scene(c, sceneId).orElseThrow(() -> new PermanentJobFailure("scene " + sceneId + " gone"));
            if (!repo.editScene(c, sceneId, s.script(), version, System.currentTimeMillis())) {
                return Optional.<Scene>empty();
            }
            media.setPlan(c, sceneId, changed.title(), changed.narration(), Json.write(changed),
                    System.currentTimeMillis());
            return repo.scene(c, sceneId);
        });
        Scene s = edited.orElseThrow(() -> new PermanentJobFailure(
                "scene " + sceneId + " changed since the edit was asked for (version " + version + ")"));
        emit(projectId, "scene.updated", s);
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
        if (!job.kind().startsWith("video.")) {
            return;
        }
        String projectId = payloadField(job, "projectId");
        if (projectId.isEmpty()) {
            return;
        }
        events.publishJob(projectId, job);
        if (failed(job) && (job.kind().equals(GENERATE) || job.kind().equals(VideoPipeline.SCENE)
                || job.kind().equals(VideoPipeline.ASSEMBLE))) {
            emit(projectId, "session.updated", Map.of("id", sessionIdOf(job), "status", "FAILED"));
        }
    }

    /** Stops the render jobs' cancel watcher (after the engine has stopped running them). */
    @Override
    public void close() {
        if (pipeline != null) {
            pipeline.close();
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

    /** A companion a project may name: null or blank for none; else one the companions' voices know (or a 400). */
    private String companion(String companionId) {
        if (companionId == null || companionId.isBlank()) {
            return null;
        }
        String id = companionId.strip();
        if (id.length() > 64) {
            throw ServiceException.badRequest("companionId: at most 64 characters");
        }
        CompanionVoices voices = pipeline == null ? null : pipeline.voices();
        if (voices == null) {
            throw ServiceException.badRequest("this server knows no companions, so a project cannot name one");
        }
        if (voices.voice(id).isEmpty()) {
            throw ServiceException.badRequest("no such companion: " + id);
        }
        return id;
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

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private static JsonNode readTree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }

    private static boolean failed(Job job) {
        return job.state() == JobState.FAILURE || job.state() == JobState.REVOKED;
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

package dev.lectern.lessons;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.JobContext;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import dev.lectern.jobs.PermanentJobFailure;
import dev.lectern.lessons.MediaRepository.SceneMedia;
import dev.lectern.lessons.MediaRepository.SessionMedia;
import dev.lectern.lessons.MediaRepository.Version;
import dev.lectern.lessons.plan.Cancellation;
import dev.lectern.lessons.plan.LessonPlanner;
import dev.lectern.lessons.plan.PlanException;
import dev.lectern.lessons.plan.PlannedScene;
import dev.lectern.lessons.render.RenderException;
import dev.lectern.lessons.render.RenderedLesson;
import dev.lectern.lessons.render.RenderedScene;
import dev.lectern.lessons.render.WorkDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The rendering half of the lesson jobs. {@value #SCENE}: one scene narrated, drawn and encoded, its MP4, captions
 * and poster stored and pushed to the project's subscribers at once (the live preview); the last scene of a
 * generation queues {@value #ASSEMBLE}, which joins the stored scenes into a new version of the lesson. An edit
 * re-renders its scene and re-assembles in one job. Assembly and edits hold the session's edit lease, so two never
 * interleave. Every stored object counts against its owner's quota; old versions are pruned to make room, and when
 * nothing is left to prune the job fails with {@code quota_exceeded}.
 */
final class VideoPipeline implements AutoCloseable {
    static final String SCENE = "video.scene";
    static final String ASSEMBLE = "video.assemble";
    private static final long LOCK_POLL_MILLIS = 200;
    /**
     * How long a job waits in its worker for the session's edit lease before it gives the worker back and runs again
     * later (a retry with backoff): edits queued behind a running generation must not hold every worker, or the
     * generation's own scene jobs would never run.
     */
    private static final long LOCK_WAIT_MILLIS = 2_000;
    /** Runs of a job that waits for the session: enough for a long render ahead of it at the backoff below. */
    static final KindOptions WAITING = KindOptions.DEFAULTS.withMaxAttempts(40).withBackoff(500, 15_000);

    private final SqlDatabase db;
    private final JobEngine engine;
    private final LessonStudio studio;
    private final MediaRepository media = new MediaRepository();
    private final ScheduledExecutorService watcher;

    /** A project event: its type and data. */
    interface Events {
        void emit(String projectId, String type, Object data);
    }

    private final Events events;

    VideoPipeline(SqlDatabase db, JobEngine engine, LessonStudio studio, Events events) {
        this.db = db;
        this.engine = engine;
        this.studio = studio;
        this.events = events;
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lessons-cancel-watch");
            t.setDaemon(true);
            return t;
        });
        engine.register(SCENE, KindOptions.DEFAULTS.withMaxAttempts(3), this::runScene);
        engine.register(ASSEMBLE, WAITING, this::runAssemble);
    }

    LessonPlanner planner() {
        return studio.planner();
    }

    CompanionVoices voices() {
        return studio.voices();
    }

    LessonSources sources() {
        return studio.sources();
    }

    /** The voice of the companion the session's project names, or "" (the provider's voice). */
    private String voiceOf(String sessionId) {
        if (studio.voices() == null) {
            return "";
        }
        String companion = db.query(c -> new LessonRepository().companionOfSession(c, sessionId));
        return companion == null ? "" : studio.voices().voice(companion).orElse("");
    }

    // ---------------------------------------------------------------- URLs and views

    /** A signed URL for a stored object, or "" when there is none yet. */
    String url(String key) {
        return key == null || key.isEmpty() ? "" : studio.objects().signedUrl(key, studio.urlTtl());
    }

    Map<String, Object> sceneMedia(SceneMedia s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("video_url", url(s.videoKey()));
        m.put("captions_url", url(s.captionsKey()));
        m.put("poster_url", url(s.posterKey()));
        m.put("durationSeconds", s.durationMs() / 1000.0);
        return m;
    }

    // ---------------------------------------------------------------- scene jobs

    /** The job that renders one scene of a generation. */
    static NewJob sceneJob(String projectId, String sessionId, String sceneId, String owner, String generation) {
        return NewJob.of(SCENE, Json.write(Map.of("projectId", projectId, "sessionId", sessionId, "sceneId", sceneId,
                "generation", generation))).owner(owner);
    }

    private String runScene(JobContext ctx) throws Exception {
        var p = Json.MAPPER.readTree(ctx.payload());
        String projectId = p.path("projectId").asText();
        String sessionId = p.path("sessionId").asText();
        String sceneId = p.path("sceneId").asText();
        SceneMedia scene = db.query(c -> media.scene(c, sceneId)).orElseThrow(() ->
                new PermanentJobFailure("scene " + sceneId + " no longer exists (regenerated or deleted)"));
        String generation = db.query(c -> new LessonRepository().session(c, sessionId)).map(VideoSession::jobId)
                .orElseThrow(() -> new PermanentJobFailure("session " + sessionId + " no longer exists"));
        try (Watch w = watch(ctx)) {
            ctx.progress(5, "scene " + (scene.position() + 1) + ": narration, slides, encoding", null);
            events.emit(projectId, "scene.progress", Map.of("id", sceneId, "sessionId", sessionId,
                    "position", scene.position(), "stage", "rendering"));
            SceneMedia done = scene.rendered() ? scene : renderScene(projectId, scene, ctx.owner(), w.cancel);
            ctx.progress(90, "scene " + (scene.position() + 1) + " stored", null);
            boolean last = db.transaction(c -> {
                media.touch(c, sessionId, System.currentTimeMillis());
                VideoSession s = new LessonRepository().session(c, sessionId).orElse(null);
                if (s == null || !"RENDERING".equals(s.status()) || !generation.equals(s.jobId())) {
                    return false;
                }
                if (!media.scenes(c, sessionId).stream().allMatch(SceneMedia::rendered)) {
                    return false;
                }
                new LessonRepository().sessionStatus(c, sessionId, "ASSEMBLING", System.currentTimeMillis());
                engine.enqueue(c, NewJob.of(ASSEMBLE, Json.write(Map.of("projectId", projectId,
                        "sessionId", sessionId, "generation", generation))).owner(ctx.owner())
                        .idempotencyKey("assemble:" + generation));
                return true;
            });
            if (last) {
                engine.signal();
                events.emit(projectId, "session.updated", Map.of("id", sessionId, "status", "ASSEMBLING"));
            }
            return Json.write(Map.of("sceneId", sceneId, "version", done.version(), "videoKey", done.videoKey()));
        }
    }

    /**
     * Renders the scene at its current version, stores its three files and records them; tells the project's
     * subscribers at once ({@code scene.rendered} with signed URLs). A scene changed meanwhile keeps nothing.
     */
    private SceneMedia renderScene(String projectId, SceneMedia scene, String owner, Cancellation cancel) {
        PlannedScene planned = plannedScene(scene);
        Path work = workDir("scene-");
        try {
            RenderedScene r = studio.scenes().render(planned, voiceOf(scene.sessionId()), work.resolve("out"),
                    cancel, stage -> events.emit(projectId, "scene.progress", Map.of("id", scene.id(),
                            "sessionId", scene.sessionId(), "position", scene.position(), "stage", stage)));
            String base = scene.id() + "-v" + scene.version() + "-" + shortId();
            List<Stored> files = List.of(new Stored(key(base, ".mp4"), r.video()),
                    new Stored(key(base, ".vtt"), r.captions()), new Stored(key(base, ".png"), r.poster()));
            store(owner, scene.sessionId(), files);
            long durationMs = Math.round(r.durationSeconds() * 1000);
            boolean kept = db.transaction(c -> media.rendered(c, scene.id(), scene.version(), files.get(0).key,
                    files.get(1).key, files.get(2).key, durationMs, System.currentTimeMillis()));
            if (!kept) {
                forget(scene.sessionId(), files.stream().map(f -> f.key).toList());
                throw new PermanentJobFailure("scene " + scene.id() + " changed while it was rendered");
            }
            SceneMedia done = new SceneMedia(scene.id(), scene.sessionId(), scene.position(), scene.title(),
                    scene.version(), "RENDERED", scene.plan(), files.get(0).key, files.get(1).key, files.get(2).key,
                    durationMs);
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("id", scene.id());
            event.put("sessionId", scene.sessionId());
            event.put("position", scene.position());
            event.put("version", scene.version());
            event.put("status", "RENDERED");
            event.putAll(sceneMedia(done));
            events.emit(projectId, "scene.rendered", event);
            return done;
        } catch (RenderException e) {
            throw failure(e);
        } finally {
            WorkDirs.delete(work);
        }
    }

    // ---------------------------------------------------------------- assembly

    private String runAssemble(JobContext ctx) throws Exception {
        var p = Json.MAPPER.readTree(ctx.payload());
        String projectId = p.path("projectId").asText();
        String sessionId = p.path("sessionId").asText();
        try (Watch w = watch(ctx)) {
            lock(ctx, sessionId, 0);
            try {
                Version v = assemble(ctx, projectId, sessionId, w.cancel);
                return Json.write(Map.of("sessionId", sessionId, "version", v.version()));
            } finally {
                unlock(sessionId, ctx.jobId(), false);
            }
        }
    }

    /**
     * Joins the session's rendered scenes (rendering any that are missing) into a new version of the lesson, makes
     * it the session's current one and tells the subscribers. The caller holds the session's edit lease.
     */
    Version assemble(JobContext ctx, String projectId, String sessionId, Cancellation cancel) {
        List<SceneMedia> scenes = new ArrayList<>(db.query(c -> media.scenes(c, sessionId)));
        if (scenes.isEmpty()) {
            throw new PermanentJobFailure("session " + sessionId + " has no scenes to assemble");
        }
        for (int i = 0; i < scenes.size(); i++) {
            if (!scenes.get(i).rendered()) {
                scenes.set(i, renderScene(projectId, scenes.get(i), ctx.owner(), cancel));
            }
        }
        ctx.progress(95, "assembling " + scenes.size() + " scenes", null);
        events.emit(projectId, "session.progress", Map.of("id", sessionId, "stage", "assembling"));
        Path work = workDir("lesson-");
        try {
            List<RenderedScene> parts = new ArrayList<>();
            for (SceneMedia s : scenes) {
                Path dir = work.resolve(String.format(Locale.ROOT, "scene-%03d", s.position()));
                Files.createDirectories(dir);
                fetch(s.videoKey(), dir.resolve(RenderedScene.VIDEO));
                fetch(s.captionsKey(), dir.resolve(RenderedScene.CAPTIONS));
                fetch(s.posterKey(), dir.resolve(RenderedScene.POSTER));
                parts.add(RenderedScene.in(dir));
            }
            RenderedLesson lesson = studio.assembler().assemble(parts, work.resolve("lesson"), cancel);
            String base = sessionId + "-l" + shortId();
            List<Stored> files = List.of(new Stored(key(base, ".mp4"), lesson.video()),
                    new Stored(key(base, ".vtt"), lesson.captions()), new Stored(key(base, ".png"), lesson.poster()));
            store(ctx.owner(), sessionId, files);
            String sceneJson = Json.write(scenes);
            long durationMs = Math.round(lesson.durationSeconds() * 1000);
            Version v = db.transaction(c -> {
                int n = media.nextVersion(c, sessionId);
                Version made = new Version(sessionId, n, ctx.owner(), files.get(0).key, files.get(1).key,
                        files.get(2).key, durationMs, sceneJson, System.currentTimeMillis());
                media.insertVersion(c, made);
                media.setSession(c, sessionId, new SessionMedia(made.videoKey(), made.captionsKey(), made.posterKey(),
                        n), "READY", System.currentTimeMillis());
                return made;
            });
            Map<String, Object> event = new LinkedHashMap<>(versionView(v, v.version()));
            event.put("id", sessionId);
            event.put("status", "READY");
            events.emit(projectId, "session.updated", event);
            return v;
        } catch (RenderException e) {
            throw failure(e);
        } catch (IOException e) {
            throw new IllegalStateException("could not assemble the lesson: " + e.getMessage(), e);
        } finally {
            WorkDirs.delete(work);
        }
    }

    private void fetch(String key, Path target) {
        if (!studio.objects().copyTo(key, target)) {
            throw new PermanentJobFailure("the stored scene file " + key + " is missing");
        }
    }

    // ---------------------------------------------------------------- edits

    /**
     * One queued edit as its job carries it: the op, the scene it names ({@code sceneId}; for an insert, the new
     * scene's id, which is the job's id, so a rerun does not insert twice and the caller knows it at once), the scene's version when the
     * edit was asked for, the new content (null: the model writes it from {@code prompt}), the target position (null:
     * the end) and the edit's place in the session's order ({@code seq}, 0 for an edit queued before edits had one).
     */
    record EditJob(EditRequest.Op op, String sceneId, int fromVersion, PlannedScene scene, String prompt,
                   Integer position, long seq) {}

    /**
     * One edit: waits for the session's edit lease, and for every edit of the session submitted before it (so two
     * edits, or an edit and an assembly, never interleave, and edits apply in submission order), changes the scenes,
     * renders only what changed (an update its scene, an insert the new scene, a delete or a move nothing) and
     * re-assembles the lesson with the others' stored files.
     */
    String edit(JobContext ctx, String projectId, String sessionId, EditJob job) {
        try (Watch w = watch(ctx)) {
            lock(ctx, sessionId, job.seq());
            boolean done = false;
            try {
                SceneMedia edited = switch (job.op()) {
                    case UPDATE -> update(ctx, projectId, sessionId, job, w.cancel);
                    case INSERT -> insert(projectId, sessionId, job, w.cancel);
                    case DELETE -> delete(projectId, sessionId, job);
                    case MOVE -> move(projectId, sessionId, job);
                };
                Version v = assemble(ctx, projectId, sessionId, w.cancel);
                done = true;
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("op", job.op().wire());
                result.put("sceneId", job.sceneId());
                if (edited != null) {
                    result.put("version", edited.version());
                    result.put("position", edited.position());
                }
                result.put("lessonVersion", v.version());
                return Json.write(result);
            } finally {
                unlock(sessionId, ctx.jobId(), done);
            }
        }
    }

    /** A new version of one scene, rendered alone. */
    private SceneMedia update(JobContext ctx, String projectId, String sessionId, EditJob job, Cancellation cancel) {
        String sceneId = job.sceneId();
        SceneMedia before = db.query(c -> media.scene(c, sceneId)).orElseThrow(() ->
                new PermanentJobFailure("scene " + sceneId + " no longer exists"));
        PlannedScene next = job.scene() != null ? job.scene() : replan(before, job.prompt(), cancel);
        // a rerun of this edit (after a retry) finds its version already written: it only renders
        boolean written = before.version() > job.fromVersion() && before.plan().equals(Json.write(next));
        if (!written) {
            db.transaction(c -> {
                media.newSceneVersion(c, sceneId, next.title(), next.narration(), Json.write(next),
                        System.currentTimeMillis());
                return null;
            });
        }
        SceneMedia edited = db.query(c -> media.scene(c, sceneId)).orElseThrow();
        events.emit(projectId, "scene.updated", Map.of("id", sceneId, "sessionId", sessionId,
                "version", edited.version(), "status", "EDITING", "title", edited.title()));
        ctx.progress(10, "re-rendering scene " + (edited.position() + 1), null);
        try {
            return renderScene(projectId, edited, ctx.owner(), cancel);
        } catch (RuntimeException e) {
            if (!written) {
                // the scene stays as it was (a run again writes the new version afresh)
                boolean reverted = db.transaction(c -> media.revertScene(c, before,
                        plannedScene(before).narration(), edited.version(), System.currentTimeMillis()));
                if (reverted) {
                    events.emit(projectId, "scene.updated", Map.of("id", sceneId, "sessionId", sessionId,
                            "version", before.version(), "status", before.status(), "title", before.title()));
                }
            }
            throw e;
        }
    }

    /** A new scene at the job's position; the assembly renders it (the only scene without files). */
    private SceneMedia insert(String projectId, String sessionId, EditJob job, Cancellation cancel) {
        String sceneId = job.sceneId();
        PlannedScene next = job.scene() != null ? job.scene() : write(job.prompt(), cancel);
        long now = System.currentTimeMillis();
        boolean inserted = db.transaction(c -> {
            if (media.scene(c, sceneId).isPresent()) {
                return false; // a rerun: inserted before the retry
            }
            List<String> ids = new ArrayList<>(media.scenes(c, sessionId).stream().map(SceneMedia::id).toList());
            int at = job.position() == null ? ids.size() : Math.min(job.position(), ids.size());
            ids.add(at, sceneId);
            new LessonRepository().insertScene(c, new Scene(sceneId, sessionId, -1_000_000, next.title(), "",
                    next.narration(), next.visualNote(), "PLANNED", "", "", "", 1, now, now));
            media.setPlan(c, sceneId, next.title(), next.narration(), Json.write(next), now);
            media.layout(c, sessionId, ids, now);
            return true;
        });
        SceneMedia made = db.query(c -> media.scene(c, sceneId)).orElseThrow();
        if (inserted) {
            events.emit(projectId, "scene.created", Map.of("id", sceneId, "sessionId", sessionId,
                    "position", made.position(), "version", made.version(), "status", "PLANNED", "title",
                    made.title()));
        }
        return made;
    }

    /** The scene goes (its files stay while a version of the lesson shows them); the others close up. */
    private SceneMedia delete(String projectId, String sessionId, EditJob job) {
        boolean deleted = db.transaction(c -> {
            List<String> ids = new ArrayList<>(media.scenes(c, sessionId).stream().map(SceneMedia::id).toList());
            if (!ids.remove(job.sceneId())) {
                return false; // a rerun, or deleted meanwhile: only the assembly is left to do
            }
            if (ids.isEmpty()) {
                throw new PermanentJobFailure("a lesson keeps at least one scene; scene " + job.sceneId()
                        + " is its last");
            }
            media.deleteScene(c, job.sceneId());
            media.layout(c, sessionId, ids, System.currentTimeMillis());
            return true;
        });
        if (deleted) {
            events.emit(projectId, "scene.deleted", Map.of("id", job.sceneId(), "sessionId", sessionId));
        }
        return null;
    }

    /** The scene goes to the job's position; nothing is rendered. */
    private SceneMedia move(String projectId, String sessionId, EditJob job) {
        SceneMedia moved = db.transaction(c -> {
            List<String> ids = new ArrayList<>(media.scenes(c, sessionId).stream().map(SceneMedia::id).toList());
            if (!ids.remove(job.sceneId())) {
                throw new PermanentJobFailure("scene " + job.sceneId() + " no longer exists");
            }
            int at = job.position() == null ? ids.size() : Math.min(job.position(), ids.size());
            ids.add(at, job.sceneId());
            media.layout(c, sessionId, ids, System.currentTimeMillis());
            return media.scene(c, job.sceneId()).orElseThrow();
        });
        events.emit(projectId, "scene.moved", Map.of("id", moved.id(), "sessionId", sessionId,
                "position", moved.position()));
        return moved;
    }

    /** A scene rewritten by the model from the edit's prompt. */
    private PlannedScene replan(SceneMedia scene, String prompt, Cancellation cancel) {
        PlannedScene now = plannedScene(scene);
        String ask = "Rewrite one scene of a lesson as a one-scene plan. The change asked for: " + prompt
                + "\nThe scene now: title: " + now.title() + "; bullets: " + now.bullets() + "; narration: "
                + now.narration();
        if (ask.length() > LessonPlanner.MAX_PROMPT_CHARS) {
            ask = ask.substring(0, LessonPlanner.MAX_PROMPT_CHARS);
        }
        return onePlannedScene(ask, cancel);
    }

    /** A new scene written by the model from the edit's prompt. */
    private PlannedScene write(String prompt, Cancellation cancel) {
        String ask = "Write one new scene of a lesson as a one-scene plan: " + prompt;
        return onePlannedScene(ask.length() > LessonPlanner.MAX_PROMPT_CHARS
                ? ask.substring(0, LessonPlanner.MAX_PROMPT_CHARS) : ask, cancel);
    }

    private PlannedScene onePlannedScene(String ask, Cancellation cancel) {
        LessonPlanner planner = studio.planner();
        if (planner == null) {
            throw new PermanentJobFailure("model_not_configured: no language model runs on this node, so a prompt "
                    + "cannot write the scene; send its title, narration or bullets instead");
        }
        try {
            return planner.plan(new LessonPlanner.Request(ask, 1, List.of(), ""), cancel).scenes().get(0);
        } catch (PlanException e) {
            throw failure(e);
        }
    }

    private void lock(JobContext ctx, String sessionId, long seq) {
        long lease = engine.options(ctx.kind()).timeoutMillis() + 60_000;
        boolean announced = false;
        long giveUp = System.currentTimeMillis() + LOCK_WAIT_MILLIS;
        while (true) {
            ctx.checkCancelled();
            long now = System.currentTimeMillis();
            boolean held = db.transaction(c -> {
                if (new LessonRepository().session(c, sessionId).isEmpty()) {
                    throw new PermanentJobFailure("session " + sessionId + " no longer exists");
                }
                return media.lock(c, sessionId, ctx.jobId(), seq, now + lease, now);
            });
            if (held) {
                return;
            }
            if (!announced) {
                ctx.progress(0, "waiting for the session's running edit or render", null);
                announced = true;
            }
            if (System.currentTimeMillis() > giveUp) {
                throw new IllegalStateException("session busy: another edit or the generation of session "
                        + sessionId + " is running; this job runs again later");
            }
            try {
                Thread.sleep(LOCK_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ctx.checkCancelled();
                throw new PermanentJobFailure("interrupted while waiting for the session");
            }
        }
    }

    /** Gives the lease back; a finished edit also leaves the session's queue, so the next edit may start. */
    private void unlock(String sessionId, String jobId, boolean finishedEdit) {
        db.transaction(c -> {
            media.unlock(c, sessionId, jobId);
            if (finishedEdit) {
                media.dequeueEdit(c, jobId);
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- versions

    List<Map<String, Object>> versions(String sessionId) {
        return db.query(c -> {
            int current = media.session(c, sessionId).map(SessionMedia::version).orElse(0);
            return media.versions(c, sessionId).stream().map(v -> versionView(v, current)).toList();
        });
    }

    Map<String, Object> versionView(Version v, int current) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", v.version());
        m.put("current", v.version() == current);
        m.put("createdAt", v.createdAt());
        m.put("durationSeconds", v.durationMs() / 1000.0);
        m.put("video_url", url(v.videoKey()));
        m.put("captions_url", url(v.captionsKey()));
        m.put("poster_url", url(v.posterKey()));
        return m;
    }

    /**
     * Makes an earlier version current again: the lesson's files and its scenes as they were. Refused (409) while an
     * edit or assembly holds the session; 404 for a version that does not exist (or was pruned).
     */
    Map<String, Object> restore(String projectId, String sessionId, int version) {
        Version v = db.transaction(c -> {
            if (media.locked(c, sessionId, System.currentTimeMillis())) {
                throw ServiceException.conflict("an edit of this session is running; restore when it is done");
            }
            VideoSession s = new LessonRepository().session(c, sessionId).orElseThrow();
            if (List.of("QUEUED", "GENERATING", "RENDERING", "ASSEMBLING").contains(s.status())) {
                throw ServiceException.conflict("the session is being generated; restore when it is done");
            }
            Version found = media.version(c, sessionId, version).orElseThrow(() ->
                    ServiceException.notFound("no such version"));
            List<SceneMedia> scenes = sceneList(found.scenes());
            new LessonRepository().deleteScenes(c, sessionId);
            for (SceneMedia sm : scenes) {
                PlannedScene planned = plannedScene(sm);
                media.restoreScene(c, sm, planned.narration(), planned.visualNote(), System.currentTimeMillis());
            }
            media.setSession(c, sessionId, new SessionMedia(found.videoKey(), found.captionsKey(), found.posterKey(),
                    found.version()), "READY", System.currentTimeMillis());
            return found;
        });
        Map<String, Object> view = versionView(v, v.version());
        Map<String, Object> event = new LinkedHashMap<>(view);
        event.put("id", sessionId);
        event.put("status", "READY");
        events.emit(projectId, "session.restored", event);
        return view;
    }

    // ---------------------------------------------------------------- storage and quota

    private record Stored(String key, Path file) {}

    private static String key(String base, String extension) {
        return ObjectStore.LESSONS + "/" + base + extension;
    }

    /** Puts the files in the object store and counts them for the owner, pruning old versions to make room. */
    private void store(String owner, String sessionId, List<Stored> files) {
        long bytes = 0;
        for (Stored f : files) {
            bytes += size(f.file);
        }
        makeRoom(owner, bytes);
        long now = System.currentTimeMillis();
        for (Stored f : files) {
            studio.objects().put(f.key, f.file);
        }
        db.transaction(c -> {
            for (Stored f : files) {
                media.addObject(c, f.key, owner, sessionId, size(f.file), now);
            }
            return null;
        });
    }

    /**
     * Prunes the owner's oldest versions that no session shows until {@code bytes} more fit in the quota; fails with
     * {@code quota_exceeded} when they do not even then.
     */
    void makeRoom(String owner, long bytes) {
        while (true) {
            long used = db.query(c -> media.usage(c, owner));
            if (used + bytes <= studio.quotaBytes()) {
                return;
            }
            if (!pruneOne(owner)) {
                throw new PermanentJobFailure("quota_exceeded: lesson media would take " + (used + bytes)
                        + " bytes, over this user's quota of " + studio.quotaBytes()
                        + " (lessons.mediaQuotaBytes); delete old projects to make room");
            }
        }
    }

    /** Whether the owner is at or over the quota with nothing left to prune (then new work is refused with 507). */
    boolean overQuota(String owner) {
        try {
            makeRoom(owner, 0);
            return db.query(c -> media.usage(c, owner)) >= studio.quotaBytes();
        } catch (PermanentJobFailure e) {
            return true;
        }
    }

    private boolean pruneOne(String owner) {
        List<String> gone = new ArrayList<>();
        String[] session = new String[1];
        boolean pruned = db.transaction(c -> {
            List<Version> old = media.prunable(c, owner);
            if (old.isEmpty()) {
                return false;
            }
            Version v = old.get(0);
            session[0] = v.sessionId();
            media.deleteVersion(c, v.sessionId(), v.version());
            List<String> candidates = new ArrayList<>(List.of(v.videoKey(), v.captionsKey(), v.posterKey()));
            List<SceneMedia> scenes = sceneList(v.scenes());
            for (SceneMedia s : scenes) {
                candidates.addAll(List.of(s.videoKey(), s.captionsKey(), s.posterKey()));
            }
            for (String k : candidates) {
                if (!k.isEmpty() && !media.referenced(c, v.sessionId(), k)) {
                    media.removeObject(c, k);
                    gone.add(k);
                }
            }
            return true;
        });
        gone.forEach(k -> studio.objects().delete(k));
        return pruned;
    }

    /** Drops objects nothing refers to (a render that lost a race). */
    private void forget(String sessionId, List<String> keys) {
        db.transaction(c -> {
            for (String k : keys) {
                media.removeObject(c, k);
            }
            return null;
        });
        keys.forEach(k -> studio.objects().delete(k));
    }

    /** Deletes stored objects (after their project was deleted). */
    void deleteObjects(List<String> keys) {
        for (String k : keys) {
            try {
                studio.objects().delete(k);
            } catch (RuntimeException e) {
                // best effort: the rows are gone, so the quota no longer counts them
            }
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new IllegalStateException("rendered file missing: " + f, e);
        }
    }

    // ---------------------------------------------------------------- helpers

    static PlannedScene plannedScene(SceneMedia scene) {
        try {
            return Json.MAPPER.readValue(scene.plan(), PlannedScene.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new PermanentJobFailure("scene " + scene.id() + " has no valid plan");
        }
    }

    /** A version's scenes as it recorded them. */
    private static List<SceneMedia> sceneList(String json) {
        try {
            return Json.MAPPER.readValue(json,
                    Json.MAPPER.getTypeFactory().constructCollectionType(List.class, SceneMedia.class));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a lesson version's scene list is unreadable", e);
        }
    }

    private Path workDir(String prefix) {
        try {
            Files.createDirectories(studio.workRoot());
            return Files.createTempDirectory(studio.workRoot(), prefix);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a render directory under " + studio.workRoot(), e);
        }
    }

    /** A render error the job cannot fix by running again fails it at once; a timeout or I/O trouble retries. */
    private static RuntimeException failure(RenderException e) {
        String code = e.code();
        if (code.equals("render_timeout") || code.equals("render_io")) {
            return e;
        }
        return new PermanentJobFailure(code + ": " + e.getMessage(), e);
    }

    static RuntimeException failure(PlanException e) {
        return new PermanentJobFailure(e.code() + ": " + e.getMessage()
                + (e.details().isEmpty() ? "" : " " + e.details()), e);
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /** The job's cancel flag, polled, as a {@link Cancellation} that kills the render's child processes. */
    private final class Watch implements AutoCloseable {
        final Cancellation cancel = new Cancellation();
        private final ScheduledFuture<?> poll;

        Watch(JobContext ctx) {
            poll = watcher.scheduleWithFixedDelay(() -> {
                if (ctx.isCancelled()) {
                    cancel.cancel();
                }
            }, 100, 250, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            poll.cancel(false);
        }
    }

    private Watch watch(JobContext ctx) {
        return new Watch(ctx);
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}

package dev.lectern.lessons;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lectern.ai.tts.EspeakTts;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.LessonsConfig;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.Enqueued;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.JobState;
import dev.lectern.lessons.render.Ffmpeg;
import dev.lectern.lessons.render.LessonAssembler;
import dev.lectern.lessons.render.Narrator;
import dev.lectern.lessons.render.SceneRenderer;
import dev.lectern.lessons.testing.MediaTools;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lesson videos through the job engine, for real (espeak-ng, ffmpeg, ffprobe; 320x180 so that it stays quick): one
 * job per scene, each scene pushed to the project's subscribers as soon as it is stored, then the assembly; edits
 * serialised per session; versions kept, listed, restored and pruned by the quota.
 */
abstract class LessonVideoContract {
    static final Principal ALICE = new Principal("alice", Role.STUDENT, "t1");

    protected abstract SqlDatabase newDatabase();

    protected void afterDatabase() {}

    @TempDir
    Path dir;
    SqlDatabase db;
    JobEngine engine;
    LessonService lessons;
    LocalObjectStore objects;
    ExecutorService tts;
    EphemeralStore bus;
    ProjectEvents events;
    final List<JsonNode> seen = new CopyOnWriteArrayList<>();

    void open(long quotaBytes) {
        MediaTools.require();
        db = newDatabase();
        engine = new JobEngine(db, TestConfigs.defaults(Map.of("LECTERN_JOBS__HEARTBEAT_MILLIS", "200",
                "LECTERN_JOBS__LEASE_MILLIS", "5000", "LECTERN_JOBS__WORKERS", "3")).jobs(), null,
                new SimpleMeterRegistry(), "videos");
        LessonsConfig config = MediaTools.config(Map.of("LECTERN_LESSONS__WIDTH", "320",
                "LECTERN_LESSONS__HEIGHT", "180", "LECTERN_LESSONS__FRAME_RATE", "5",
                "LECTERN_LESSONS__X264_PRESET", "ultrafast"));
        Ffmpeg ffmpeg = new Ffmpeg(config.ffmpegPath(), config.encodeTimeoutMillis());
        tts = Executors.newFixedThreadPool(2);
        Narrator narrator = new Narrator(new EspeakTts("espeak-ng", "", tts, 30_000), ffmpeg, 60_000);
        objects = new LocalObjectStore(dir.resolve("objects"), new UrlSigner("k".repeat(32).getBytes()),
                "/api/objects/", Clock.systemUTC());
        bus = new InMemoryEphemeralStore();
        events = new ProjectEvents(bus);
        lessons = new LessonService(db, engine, events, new LessonStudio(null, new SceneRenderer(config, ffmpeg,
                narrator), new LessonAssembler(ffmpeg), objects, Duration.ofMinutes(5), quotaBytes,
                dir.resolve("work")));
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
            events.close();
            db.close();
            tts.shutdownNow();
        }
        afterDatabase();
    }

    static ArrayNode scenes(String... narrations) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (int i = 0; i < narrations.length; i++) {
            a.addObject().put("title", "Part " + (i + 1)).put("narration", narrations[i])
                    .put("visual", "A drawing of part " + (i + 1)).putArray("bullets").add("Point " + (i + 1));
        }
        return a;
    }

    Job awaitJob(String id, JobState state) {
        await().atMost(Duration.ofSeconds(120)).until(() -> {
            Job j = engine.find(id).orElseThrow();
            if (j.state().isFinal() && j.state() != state) {
                throw new AssertionError("job " + j.kind() + " ended " + j.state() + ": " + j.error());
            }
            return j.state() == state;
        });
        return engine.find(id).orElseThrow();
    }

    Map<String, Object> awaitSession(String id, int version) {
        await().atMost(Duration.ofSeconds(180)).until(() -> {
            Map<String, Object> s = lessons.sessionView(ALICE, id);
            if ("FAILED".equals(s.get("status"))) {
                throw new AssertionError("session failed: " + engine.list(new dev.lectern.jobs.JobQuery(null,
                        JobState.FAILURE, null, 10, 0)).jobs().stream().map(Job::error).toList());
            }
            return "READY".equals(s.get("status")) && ((Number) s.get("version")).intValue() >= version;
        });
        return lessons.sessionView(ALICE, id);
    }

    /** The file behind a signed local URL. */
    Path file(Object signedUrl) {
        String url = (String) signedUrl;
        String key = url.substring("/api/objects/".length(), url.indexOf('?'));
        return objects.path(key);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> scenesOf(Map<String, Object> session) {
        return (List<Map<String, Object>>) session.get("scenes");
    }

    @Test
    void aLessonRendersSceneBySceneIsEditedAndRestored() throws Exception {
        open(1L << 30);
        Project p = lessons.createProject(ALICE, "Calculus", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "limits", 2);
        events.subscribe(p.id(), m -> seen.add(readTree(m)));
        engine.start();
        Enqueued gen = lessons.generate(null, new GenerateRequest(p.id(), s.id(), 2, "limits",
                scenes("A limit is where a function is heading.", "Derivatives are limits of slopes."), "Limits"),
                "sha256:gen");
        awaitJob(gen.id(), JobState.SUCCESS);
        Map<String, Object> ready = awaitSession(s.id(), 1);
        assertThat(ready.get("version")).isEqualTo(1);
        Path video = file(ready.get("video_url"));
        JsonNode probe = MediaTools.probe(video);
        double lessonSeconds = probe.path("format").path("duration").asDouble();
        List<Map<String, Object>> scenes = scenesOf(ready);
        double sum = scenes.stream().mapToDouble(m -> ((Number) m.get("durationSeconds")).doubleValue()).sum();
        assertThat(lessonSeconds).isCloseTo(sum, within(0.5));
        assertThat(Files.readString(file(ready.get("captions_url")))).startsWith("WEBVTT");
        assertThat(Files.size(file(ready.get("poster_url")))).isPositive();
        // each scene was previewable on its own, pushed as it was stored, before the lesson was assembled
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().anyMatch(e ->
                "session.updated".equals(e.path("type").asText()) && e.path("data").path("status").asText()
                        .equals("READY")));
        List<JsonNode> previews = seen.stream().filter(e -> e.path("type").asText().equals("scene.rendered")).toList();
        assertThat(previews).hasSize(2);
        assertThat(previews).allSatisfy(e -> assertThat(e.path("data").path("video_url").asText())
                .startsWith("/api/objects/lessons/"));
        // and progress came per stage: narration, frames, encoding, each scene in that order before its preview
        for (JsonNode preview : previews) {
            String id = preview.path("data").path("id").asText();
            List<String> stages = seen.subList(0, seen.indexOf(preview)).stream()
                    .filter(e -> e.path("type").asText().equals("scene.progress")
                            && e.path("data").path("id").asText().equals(id))
                    .map(e -> e.path("data").path("stage").asText()).toList();
            assertThat(stages).containsSubsequence("narration", "frames", "encoding");
        }
        int firstPreview = seen.indexOf(previews.get(0));
        int readyAt = seen.stream().filter(e -> e.path("data").path("status").asText().equals("READY"))
                .map(seen::indexOf).findFirst().orElseThrow();
        assertThat(firstPreview).isLessThan(readyAt);

        // two edits of different scenes at once: serialised, so the last version carries both
        String first = (String) scenes.get(0).get("id");
        String second = (String) scenes.get(1).get("id");
        Path firstSceneVideo = file(scenes.get(0).get("video_url"));
        byte[] firstBytes = Files.readAllBytes(firstSceneVideo);
        Enqueued e1 = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), second, "", null,
                "Derivatives measure change. They are slopes.", null), null);
        Enqueued e2 = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), first, "", "Limits, again", null, null),
                null);
        awaitJob(e1.id(), JobState.SUCCESS);
        awaitJob(e2.id(), JobState.SUCCESS);
        Map<String, Object> edited = awaitSession(s.id(), 3);
        assertThat(edited.get("version")).isEqualTo(3);
        List<Map<String, Object>> after = scenesOf(edited);
        assertThat(after.get(0).get("title")).isEqualTo("Limits, again");
        assertThat(after.get(1).get("narration")).isEqualTo("Derivatives measure change. They are slopes.");
        assertThat(after).extracting(m -> m.get("version")).containsExactly(2, 2);
        List<Map<String, Object>> versions = lessons.versions(ALICE, s.id());
        assertThat(versions).extracting(v -> v.get("version")).containsExactly(3, 2, 1);
        assertThat(versions.get(0).get("current")).isEqualTo(true);
        // an edit of scene 2 re-encoded scene 2 only: version 1's scene 1 file is untouched
        assertThat(Files.readAllBytes(firstSceneVideo)).isEqualTo(firstBytes);
        double editedSeconds = MediaTools.probe(file(edited.get("video_url"))).path("format").path("duration")
                .asDouble();
        assertThat(editedSeconds).isCloseTo(scenesOf(edited).stream().mapToDouble(m ->
                ((Number) m.get("durationSeconds")).doubleValue()).sum(), within(0.5));

        // restore version 1: its video and its scenes as they were
        Map<String, Object> restored = lessons.restore(ALICE, s.id(), 1);
        assertThat(restored.get("version")).isEqualTo(1);
        Map<String, Object> back = lessons.sessionView(ALICE, s.id());
        assertThat(back.get("version")).isEqualTo(1);
        assertThat(scenesOf(back).get(0).get("title")).isEqualTo("Part 1");
        assertThat(scenesOf(back).get(1).get("narration")).isEqualTo("Derivatives are limits of slopes.");
        assertThat(scenesOf(back)).extracting(m -> m.get("visualDescription"))
                .containsExactly("A drawing of part 1", "A drawing of part 2");
        assertThat(file(back.get("video_url"))).isEqualTo(video);
        assertThatThrownBy(() -> lessons.restore(ALICE, s.id(), 9)).isInstanceOfSatisfying(ServiceException.class,
                e -> assertThat(e.status()).isEqualTo(404));

        // deleting the project deletes its media and gives the quota back
        long usedBefore = db.query(c -> new MediaRepository().usage(c, "alice"));
        assertThat(usedBefore).isPositive();
        lessons.deleteProject(ALICE, p.id());
        long usedAfter = db.query(c -> new MediaRepository().usage(c, "alice"));
        assertThat(usedAfter).isZero();
        try (var left = Files.list(dir.resolve("objects").resolve("lessons"))) {
            assertThat(left.filter(f -> !f.getFileName().toString().startsWith(".")).toList()).isEmpty();
        }
    }

    @Test
    void insertMoveAndDeleteRenderOnlyTheNewSceneAndEditsApplyInSubmissionOrder() throws Exception {
        open(1L << 30);
        Project p = lessons.createProject(ALICE, "Calculus", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "limits", 2);
        engine.start();
        lessons.generate(ALICE, new GenerateRequest(p.id(), s.id(), 2, "limits",
                scenes("Limits come first.", "Slopes come next."), "Limits"), null);
        List<Map<String, Object>> v1 = scenesOf(awaitSession(s.id(), 1));
        String a = (String) v1.get(0).get("id");
        String b = (String) v1.get(1).get("id");
        Object bVideo = v1.get(1).get("video_url");
        byte[] bBytes = Files.readAllBytes(file(bVideo));
        events.subscribe(p.id(), m -> seen.add(readTree(m)));

        // five edits submitted at once, run by three workers: each waits for the ones submitted before it
        Enqueued insert = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), null, "", "Middle", "In between.",
                List.of("Between"), EditRequest.Op.INSERT, 0), null);
        Enqueued move = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), b, "", null, null, null,
                EditRequest.Op.MOVE, 1), null);
        Enqueued first = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), a, "", null, "Said first.", null),
                null);
        Enqueued second = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), a, "", null, "Said second.", null),
                null);
        String middle = insert.id(); // an inserted scene's id is its job's, usable before the insert ran
        Enqueued delete = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), middle, "", null, null, null,
                EditRequest.Op.DELETE, null), null);
        for (Enqueued e : List.of(insert, move, first, second, delete)) {
            awaitJob(e.id(), JobState.SUCCESS);
        }
        Map<String, Object> done = awaitSession(s.id(), 6);
        assertThat(done.get("version")).isEqualTo(6);
        List<Map<String, Object>> after = scenesOf(done);
        // in submission order: [M, A, B] -> [M, B, A] -> A twice -> [B, A]; insert and move swapped give [A, B]
        assertThat(after).extracting(m -> m.get("id")).containsExactly(b, a);
        assertThat(after).extracting(m -> m.get("position")).containsExactly(0, 1);
        assertThat(after.get(1).get("narration")).isEqualTo("Said second.");
        assertThat(after.get(1).get("version")).isEqualTo(3);
        assertThat(done.get("sceneCount")).isEqualTo(2);
        // only the inserted scene and the updated one were rendered; the moved scene kept its file
        Map<String, Long> renders = seen.stream().filter(e -> e.path("type").asText().equals("scene.rendered"))
                .collect(java.util.stream.Collectors.groupingBy(e -> e.path("data").path("id").asText(),
                        java.util.stream.Collectors.counting()));
        assertThat(renders).containsOnly(Map.entry(middle, 1L), Map.entry(a, 2L));
        assertThat(file(after.get(0).get("video_url"))).isEqualTo(file(bVideo));
        assertThat(Files.readAllBytes(file(bVideo))).isEqualTo(bBytes);
        double seconds = MediaTools.probe(file(done.get("video_url"))).path("format").path("duration").asDouble();
        assertThat(seconds).isCloseTo(after.stream().mapToDouble(m -> ((Number) m.get("durationSeconds"))
                .doubleValue()).sum(), within(0.5));
        assertThat(lessons.versions(ALICE, s.id())).hasSize(6);
        long queued = db.query(c -> Jdbc.count(c, "SELECT COUNT(*) FROM lesson_edit_queue"));
        assertThat(queued).isZero();

        // the last scene cannot go; an edit of a deleted project is a 404
        awaitJob(lessons.edit(ALICE, new EditRequest(p.id(), s.id(), a, "", null, null, null, EditRequest.Op.DELETE,
                null), null).id(), JobState.SUCCESS);
        assertThat(scenesOf(awaitSession(s.id(), 7))).extracting(m -> m.get("id")).containsExactly(b);
        assertThatThrownBy(() -> lessons.edit(ALICE, new EditRequest(p.id(), s.id(), b, "", null, null, null,
                EditRequest.Op.DELETE, null), null)).isInstanceOfSatisfying(ServiceException.class,
                e -> assertThat(e.status()).isEqualTo(400));
        lessons.deleteProject(ALICE, p.id());
        assertThatThrownBy(() -> lessons.edit(ALICE, new EditRequest(p.id(), s.id(), b, "", null, "Gone.", null),
                null)).isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void theQuotaPrunesOldVersionsAndThenRefusesNewWork() throws Exception {
        open(200_000); // one 320x180 lesson of a few seconds takes some tens of kB
        Project p = lessons.createProject(ALICE, "P", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "x", 1);
        engine.start();
        awaitJob(lessons.generate(ALICE, new GenerateRequest(p.id(), s.id(), 1, "x", scenes("One short line."),
                null), null).id(), JobState.SUCCESS);
        awaitSession(s.id(), 1);
        String scene = (String) scenesOf(lessons.sessionView(ALICE, s.id())).get(0).get("id");
        int version = 1;
        // edit until the quota forces the pruning of the oldest version that no session shows
        while (lessons.versions(ALICE, s.id()).stream().anyMatch(v -> v.get("version").equals(1))) {
            version++;
            Enqueued edit = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), scene, "", null,
                    "Line number " + version + ".", null), null);
            Job done = awaitJob(edit.id(), JobState.SUCCESS);
            assertThat(done.state()).isEqualTo(JobState.SUCCESS);
            assertThat(version).as("versions kept before the first prune").isLessThan(30);
        }
        assertThat(lessons.versions(ALICE, s.id()).get(0).get("current")).isEqualTo(true);
        long used = db.query(c -> new MediaRepository().usage(c, "alice"));
        assertThat(used).isLessThanOrEqualTo(200_000);
        assertThat(Files.list(dir.resolve("objects").resolve("lessons")).mapToLong(f -> f.toFile().length()).sum())
                .isEqualTo(used);
    }

    @Test
    void anEditWhoseRenderFailsLeavesTheSceneAtItsPreviousVersion() throws Exception {
        open(1L << 30);
        Project p = lessons.createProject(ALICE, "P", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "x", 1);
        engine.start();
        lessons.generate(ALICE, new GenerateRequest(p.id(), s.id(), 1, "x", scenes("One short line."), null), null);
        Map<String, Object> ready = awaitSession(s.id(), 1);
        Map<String, Object> scene = scenesOf(ready).get(0);
        // fill the quota to just under its limit: the request is accepted, the edit's render finds no room
        long used = db.query(c -> new MediaRepository().usage(c, "alice"));
        db.transaction(c -> {
            new MediaRepository().addObject(c, "lessons/filler.mp4", "alice", s.id(), (1L << 30) - used - 100, 0);
            return null;
        });
        Enqueued edit = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), (String) scene.get("id"), "", null,
                "A new line that never renders.", null), null);
        Job failed = awaitJob(edit.id(), JobState.FAILURE);
        assertThat(failed.error()).contains("quota_exceeded");
        Map<String, Object> after = lessons.sessionView(ALICE, s.id());
        assertThat(after.get("status")).isEqualTo("READY");
        Map<String, Object> same = scenesOf(after).get(0);
        assertThat(same.get("version")).isEqualTo(1);
        assertThat(same.get("status")).isEqualTo("RENDERED");
        assertThat(same.get("narration")).isEqualTo("One short line.");
        assertThat(file(same.get("video_url"))).isEqualTo(file(scene.get("video_url")));
    }

    @Test
    void aTinyQuotaFailsTheRenderClearlyAndRefusesTheNextRequest() throws Exception {
        open(2_000); // not even one scene fits
        Project p = lessons.createProject(ALICE, "P", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "x", 1);
        engine.start();
        lessons.generate(ALICE, new GenerateRequest(p.id(), s.id(), 1, "x", scenes("One short line."), null), null);
        await().atMost(Duration.ofSeconds(120)).until(() -> engine.list(new dev.lectern.jobs.JobQuery(null,
                JobState.FAILURE, VideoPipeline.SCENE, 10, 0)).total() == 1);
        Job failed = engine.list(new dev.lectern.jobs.JobQuery(null, JobState.FAILURE, VideoPipeline.SCENE, 10, 0))
                .jobs().get(0);
        assertThat(failed.error()).contains("quota_exceeded");
        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(lessons.sessionView(ALICE, s.id()).get("status")).isEqualTo("FAILED");
        // nothing was stored, so the next request is still accepted; fill the quota by hand to see the 507
        db.transaction(c -> {
            new MediaRepository().addObject(c, "lessons/filler.mp4", "alice", s.id(), 5_000, 0);
            return null;
        });
        assertThatThrownBy(() -> lessons.generate(ALICE, new GenerateRequest(p.id(), s.id(), 1, "x",
                scenes("Again."), null), null)).isInstanceOfSatisfying(ServiceException.class,
                e -> assertThat(e.status()).isEqualTo(507));
    }

    private static JsonNode readTree(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}

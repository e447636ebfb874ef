package dev.lectern.lessons;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.CancelResult;
import dev.lectern.jobs.Enqueued;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.JobQuery;
import dev.lectern.jobs.JobState;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Projects, sessions, scenes and their jobs, against each SQL dialect. */
abstract class LessonServiceContract {
    static final Principal ALICE = new Principal("alice", Role.STUDENT, "t1");
    static final Principal BOB = new Principal("bob", Role.STUDENT, "t2");
    static final Principal ADMIN = new Principal("root", Role.ADMIN, "t3");

    protected abstract SqlDatabase newDatabase();

    protected void afterDatabase() {}

    SqlDatabase db;
    JobEngine engine;
    LessonService lessons;

    @BeforeEach
    void open() {
        db = newDatabase();
        engine = new JobEngine(db, TestConfigs.defaults(Map.of("LECTERN_JOBS__HEARTBEAT_MILLIS", "100",
                "LECTERN_JOBS__LEASE_MILLIS", "2000")).jobs(), null, new SimpleMeterRegistry(), "lessons");
        lessons = new LessonService(db, engine);
    }

    @AfterEach
    void close() {
        engine.close();
        db.close();
        afterDatabase();
    }

    Job awaitJob(String id, JobState state) {
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.find(id).orElseThrow().state() == state);
        return engine.find(id).orElseThrow();
    }

    @Test
    void projectsBelongToTheirOwner() {
        Project p = lessons.createProject(ALICE, "  Calculus ", "limits first");
        assertThat(p.title()).isEqualTo("Calculus");
        lessons.createProject(ALICE, "Algebra", null);
        lessons.createProject(BOB, "Bob's", "");
        assertThat(lessons.projects(ALICE, 10, 0)).extracting(Project::title).containsExactlyInAnyOrder("Calculus",
                "Algebra");
        assertThat(lessons.countProjects(ALICE)).isEqualTo(2);
        assertThat(lessons.project(ALICE, p.id())).isEqualTo(p);
        assertThat(lessons.project(ADMIN, p.id()).ownerId()).isEqualTo("alice");
        assertNotFound(() -> lessons.project(BOB, p.id()));
        assertNotFound(() -> lessons.updateProject(BOB, p.id(), "mine now", null));
        assertNotFound(() -> lessons.deleteProject(BOB, p.id()));

        Project renamed = lessons.updateProject(ALICE, p.id(), "Calculus I", null);
        assertThat(renamed.title()).isEqualTo("Calculus I");
        assertThat(renamed.description()).isEqualTo("limits first");
        assertThatThrownBy(() -> lessons.updateProject(ALICE, p.id(), " ", null))
                .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void generationLaysOutOrderedScenesAndReportsProgress() {
        Project p = lessons.createProject(ALICE, "Calculus", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "derivatives", 3);
        assertThat(s.status()).isEqualTo("DRAFT");
        engine.start();
        Enqueued e = lessons.generate(null, new GenerateRequest(p.id(), s.id(), 4, "derivatives, gently",
                LessonVideoContract.scenes("One.", "Two.", "Three.", "Four."), null), "sha256:delivery-1");
        Job done = awaitJob(e.id(), JobState.SUCCESS);
        assertThat(done.owner()).isEqualTo("alice");
        assertThat(done.progressPercent()).isEqualTo(100.0);
        assertThat(done.progressMessage()).isEqualTo("4 scenes planned");

        SessionWithScenes full = lessons.session(ALICE, s.id());
        assertThat(full.session().status()).isEqualTo("PLANNED");
        assertThat(full.session().jobId()).isEqualTo(e.id());
        assertThat(full.session().sceneCount()).isEqualTo(4);
        assertThat(full.session().prompt()).isEqualTo("derivatives, gently");
        assertThat(full.scenes()).extracting(Scene::position).containsExactly(0, 1, 2, 3);
        assertThat(full.scenes()).extracting(Scene::title).containsExactly("Part 1", "Part 2", "Part 3", "Part 4");
        assertThat(full.scenes()).extracting(Scene::narration).containsExactly("One.", "Two.", "Three.", "Four.");
        assertThat(done.result()).contains(full.scenes().get(3).id());
        assertThat(lessons.scene(ALICE, full.scenes().get(0).id()).status()).isEqualTo("PLANNED");
        assertNotFound(() -> lessons.scene(BOB, full.scenes().get(0).id()));
        assertNotFound(() -> lessons.session(BOB, s.id()));

        // the same signed delivery again: the first job's id, nothing queued
        Enqueued replay = lessons.generate(null, new GenerateRequest(p.id(), s.id(), 4, "derivatives, gently",
                LessonVideoContract.scenes("One.", "Two.", "Three.", "Four."), null), "sha256:delivery-1");
        assertThat(replay.id()).isEqualTo(e.id());
        assertThat(replay.created()).isFalse();
        assertThat(engine.list(new JobQuery(null, null, LessonService.GENERATE, 10, 0)).total()).isEqualTo(1);
    }

    /**
     * A replay must get the first job's id even while other transactions commit around it (the worker finishing
     * jobs, writing progress): on SQLite a transaction that read before another writer committed used to fail its
     * first write with SQLITE_BUSY_SNAPSHOT, and the replay answered with an error instead of the id.
     */
    @Test
    void aReplayGetsTheFirstIdWhileOtherWritesCommit() throws Exception {
        Project p = lessons.createProject(ALICE, "P", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "x", 1);
        Enqueued first = lessons.generate(null, new GenerateRequest(p.id(), s.id(), 1, "x"), "sha256:replayed");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            while (!stop.get()) { // what a finishing worker does: short write transactions, back to back
                db.transaction(c -> dev.lectern.core.store.sql.Jdbc.update(c,
                        "UPDATE job SET updated_at = updated_at + 1 WHERE id = ?", first.id()));
            }
        });
        writer.start();
        try {
            for (int i = 0; i < 300; i++) {
                Enqueued replay = lessons.generate(null, new GenerateRequest(p.id(), s.id(), 1, "x"),
                        "sha256:replayed");
                assertThat(replay.id()).isEqualTo(first.id());
                assertThat(replay.created()).isFalse();
            }
            // two first deliveries of one key racing each other: both answer with the one job that was queued
            for (int i = 0; i < 50; i++) {
                String key = "sha256:race-" + i;
                var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
                try {
                    var a = pool.submit(() -> lessons.generate(null, new GenerateRequest(p.id(), s.id(), 1, "x"),
                            key));
                    var b = pool.submit(() -> lessons.generate(null, new GenerateRequest(p.id(), s.id(), 1, "x"),
                            key));
                    assertThat(a.get().id()).isEqualTo(b.get().id());
                    assertThat(a.get().created()).isNotEqualTo(b.get().created());
                } finally {
                    pool.shutdownNow();
                }
            }
        } finally {
            stop.set(true);
            writer.join();
        }
    }

    @Test
    void aRequestForSomethingElsesSessionQueuesNothing() {
        Project alices = lessons.createProject(ALICE, "A", "");
        Project bobs = lessons.createProject(BOB, "B", "");
        VideoSession bobSession = lessons.createSession(BOB, bobs.id(), "x", 1);
        assertNotFound(() -> lessons.generate(ALICE, new GenerateRequest(bobs.id(), bobSession.id(), 2, "x"), null));
        assertNotFound(() -> lessons.generate(ALICE, new GenerateRequest(alices.id(), bobSession.id(), 2, "x"), null));
        assertNotFound(() -> lessons.generate(null, new GenerateRequest("nope", bobSession.id(), 2, "x"), null));
        assertThatThrownBy(() -> lessons.generate(BOB, new GenerateRequest(bobs.id(), bobSession.id(), 51, "x"), null))
                .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> lessons.generate(BOB, new GenerateRequest(bobs.id(), null, 2, "x"), null))
                .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThat(engine.list(new JobQuery(null, null, null, 10, 0)).total()).isZero();
        assertThat(lessons.session(BOB, bobSession.id()).session().status()).isEqualTo("DRAFT");
    }

    @Test
    void aCancelledGenerationMarksItsSessionFailed() {
        Project p = lessons.createProject(ALICE, "P", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "x", 2);
        Enqueued e = lessons.generate(ALICE, new GenerateRequest(p.id(), s.id(), 2, "x"), null);
        assertThat(lessons.session(ALICE, s.id()).session().status()).isEqualTo("QUEUED");
        assertThat(engine.cancel(e.id())).isEqualTo(CancelResult.REVOKED);
        assertThat(lessons.session(ALICE, s.id()).session().status()).isEqualTo("FAILED");
    }

    @Test
    void anEditMakesANewVersionOfOneScene() {
        Project p = lessons.createProject(ALICE, "P", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "x", 2);
        engine.start();
        awaitJob(lessons.generate(ALICE, new GenerateRequest(p.id(), s.id(), 2, "x",
                LessonVideoContract.scenes("One.", "Two."), null), null).id(), JobState.SUCCESS);
        Scene second = lessons.session(ALICE, s.id()).scenes().get(1);
        Enqueued edit = lessons.edit(ALICE, new EditRequest(p.id(), s.id(), second.id(), "slower, please", null,
                "Two, slower.", null), null);
        Job done = awaitJob(edit.id(), JobState.SUCCESS);
        assertThat(lessons.scene(ALICE, second.id()).narration()).isEqualTo("Two, slower.");
        assertThat(done.result()).contains("\"version\":2");
        Scene after = lessons.scene(ALICE, second.id());
        assertThat(after.version()).isEqualTo(2);
        assertThat(after.status()).isEqualTo("EDITING");
        assertThat(lessons.session(ALICE, s.id()).scenes().get(0).version()).isEqualTo(1);
        assertNotFound(() -> lessons.edit(BOB, new EditRequest(p.id(), s.id(), second.id(), "mine"), null));
        // a prompt alone needs a model to rewrite the scene: without one the job says so
        Job noModel = awaitJob(lessons.edit(ALICE, new EditRequest(p.id(), s.id(), second.id(), "shorter"), null)
                .id(), JobState.FAILURE);
        assertThat(noModel.error()).contains("model_not_configured");
    }

    @Test
    void deletingAProjectTakesItsSessionsAndScenes() {
        Project p = lessons.createProject(ALICE, "P", "");
        VideoSession s = lessons.createSession(ALICE, p.id(), "x", 2);
        engine.start();
        awaitJob(lessons.generate(ALICE, new GenerateRequest(p.id(), s.id(), 2, "x",
                LessonVideoContract.scenes("One.", "Two."), null), null).id(), JobState.SUCCESS);
        List<Scene> scenes = lessons.session(ALICE, s.id()).scenes();
        assertThat(lessons.sessions(ALICE, p.id())).hasSize(1);
        lessons.deleteProject(ALICE, p.id());
        assertNotFound(() -> lessons.project(ALICE, p.id()));
        assertNotFound(() -> lessons.session(ALICE, s.id()));
        assertNotFound(() -> lessons.scene(ALICE, scenes.get(0).id()));
    }

    private static void assertNotFound(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ServiceException.class,
                e -> assertThat(e.status()).isEqualTo(404));
    }
}

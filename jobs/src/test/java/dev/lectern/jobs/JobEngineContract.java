package dev.lectern.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lectern.core.config.JobsConfig;
import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the job engine promises, run against each SQL dialect. Two engines on one database stand for two nodes.
 * Waits are bounded by Awaitility (they wait for a state, they do not time the engine).
 */
abstract class JobEngineContract {
    static final Duration WAIT = Duration.ofSeconds(30);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private SqlDatabase sharedDb;

    /** A fresh, migrated database for this test; called once per test, then {@link #reopen()} for more nodes. */
    protected abstract SqlDatabase newDatabase();

    /** Another connection pool on the same database (a second node). */
    protected abstract SqlDatabase reopen();

    SqlDatabase db() {
        if (sharedDb == null) {
            sharedDb = newDatabase();
        }
        return sharedDb;
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (sharedDb != null) {
            sharedDb.close();
        }
        afterDatabases();
    }

    protected void afterDatabases() {}

    static JobsConfig config(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>();
        env.put("LECTERN_JOBS__WORKERS", "4");
        env.put("LECTERN_JOBS__LEASE_MILLIS", "1000");
        env.put("LECTERN_JOBS__HEARTBEAT_MILLIS", "100");
        env.put("LECTERN_JOBS__POLL_MILLIS", "200");
        env.put("LECTERN_JOBS__BACKOFF_BASE_MILLIS", "40");
        env.put("LECTERN_JOBS__BACKOFF_MAX_MILLIS", "400");
        env.putAll(overrides);
        return TestConfigs.defaults(env).jobs();
    }

    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    JobEngine engine(SqlDatabase db, Map<String, String> overrides) {
        JobEngine e = new JobEngine(db, config(overrides), null, meters, "test");
        closeables.add(e);
        return e;
    }

    JobEngine engine() {
        return engine(db(), Map.of());
    }

    SqlDatabase secondNode() {
        SqlDatabase other = reopen();
        closeables.add(0, other); // closed after the engines that use it
        return other;
    }

    Job awaitState(JobEngine engine, String id, JobState state) {
        AtomicReference<Job> seen = new AtomicReference<>();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).untilAsserted(() -> {
            Job job = engine.find(id).orElseThrow();
            seen.set(job);
            assertThat(job.state()).isEqualTo(state);
        });
        return seen.get();
    }

    @Test
    void runsAJobAndKeepsItsResult() {
        JobEngine engine = engine();
        engine.register("test.hello", KindOptions.DEFAULTS, ctx -> "{\"hello\":" + ctx.payload() + "}");
        engine.start();
        Enqueued e = engine.enqueue(NewJob.of("test.hello", "\"world\"").owner("u1"));
        assertThat(e.created()).isTrue();
        Job done = awaitState(engine, e.id(), JobState.SUCCESS);
        assertThat(done.result()).isEqualTo("{\"hello\":\"world\"}");
        assertThat(done.attempts()).isEqualTo(1);
        assertThat(done.owner()).isEqualTo("u1");
        assertThat(done.progressPercent()).isEqualTo(100.0);
        assertThat(done.startedAt()).isNotNull();
        assertThat(done.finishedAt()).isGreaterThanOrEqualTo(done.startedAt());
        assertThat(done.leaseOwner()).isNull();
        assertThat(meters.get("lectern.jobs.pickup").tag("kind", "test.hello").timer().count()).isEqualTo(1);
        assertThat(meters.get("lectern.jobs.run").tag("kind", "test.hello").tag("outcome", "SUCCESS").timer().count())
                .isEqualTo(1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(meters.find("lectern.jobs.depth")
                .tag("kind", "test.hello").tag("state", "SUCCESS").gauge()).isNotNull());
    }

    @Test
    void anIdempotencyKeyQueuesOneJob() {
        JobEngine engine = engine();
        AtomicInteger runs = new AtomicInteger();
        engine.register("test.once", KindOptions.DEFAULTS, ctx -> {
            runs.incrementAndGet();
            return null;
        });
        Enqueued first = engine.enqueue(NewJob.of("test.once", "{}").idempotencyKey("delivery-1"));
        Enqueued again = engine.enqueue(NewJob.of("test.once", "{\"other\":1}").idempotencyKey("delivery-1"));
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(first.created()).isTrue();
        assertThat(again.created()).isFalse();
        engine.start();
        awaitState(engine, first.id(), JobState.SUCCESS);
        assertThat(engine.list(new JobQuery(null, null, "test.once", 10, 0)).total()).isEqualTo(1);
        assertThat(runs.get()).isEqualTo(1);
    }

    @Test
    void aJobEnqueuedOnAStartedNodeRunsOnceWithEveryStepToldInOrder() throws Exception {
        // an idle node may hand a fresh job straight to its worker (inserted already claimed); a busy one queues it
        JobEngine engine = engine(db(), Map.of("LECTERN_JOBS__WORKERS", "1"));
        CountDownLatch release = new CountDownLatch(1);
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        engine.register("test.fresh", KindOptions.DEFAULTS, ctx -> {
            runs.computeIfAbsent(ctx.jobId(), k -> new AtomicInteger()).incrementAndGet();
            if (ctx.payload().equals("1")) {
                release.await();
            }
            return ctx.payload();
        });
        Map<String, List<JobState>> told = new ConcurrentHashMap<>();
        engine.addListener(job -> told.computeIfAbsent(job.id(), k -> new CopyOnWriteArrayList<>()).add(job.state()));
        engine.start();
        awaitState(engine, engine.enqueue(NewJob.of("test.fresh", "0")).id(), JobState.SUCCESS);

        Enqueued a = engine.enqueue(NewJob.of("test.fresh", "1").idempotencyKey("fresh-a"));
        await().atMost(WAIT).until(() -> runs.containsKey(a.id()));
        Enqueued replay = engine.enqueue(NewJob.of("test.fresh", "1").idempotencyKey("fresh-a"));
        List<String> behind = new ArrayList<>();
        for (int i = 2; i < 6; i++) {
            behind.add(engine.enqueue(NewJob.of("test.fresh", Integer.toString(i))).id());
        }
        release.countDown();

        assertThat(replay.created()).isFalse();
        assertThat(replay.id()).isEqualTo(a.id());
        Job done = awaitState(engine, a.id(), JobState.SUCCESS);
        assertThat(done.attempts()).isEqualTo(1);
        assertThat(done.leaseToken()).isEqualTo(1);
        assertThat(done.result()).isEqualTo("1");
        for (String id : behind) {
            assertThat(awaitState(engine, id, JobState.SUCCESS).attempts()).isEqualTo(1);
        }
        assertThat(runs).hasSize(6).allSatisfy((id, n) -> assertThat(n.get()).isEqualTo(1));
        await().atMost(WAIT).untilAsserted(() -> assertThat(told.get(a.id()))
                .containsExactly(JobState.PENDING, JobState.STARTED, JobState.SUCCESS));
        await().atMost(WAIT).until(() -> engine.inflight() == 0); // every slot, the handed-off one too, given back
    }

    @Test
    void aJobEnqueuedInARolledBackTransactionNeverExists() throws Exception {
        JobEngine engine = engine();
        engine.register("test.tx", KindOptions.DEFAULTS, ctx -> "1");
        engine.start();
        String[] id = new String[1];
        try {
            db().transaction(c -> {
                id[0] = engine.enqueue(c, NewJob.of("test.tx", "{}")).id();
                throw new IllegalStateException("the scene rows failed");
            });
        } catch (IllegalStateException expected) {
            // rolled back
        }
        assertThat(engine.find(id[0])).isEmpty();
        String committed = db().transaction(c -> engine.enqueue(c, NewJob.of("test.tx", "{}")).id());
        engine.signal();
        awaitState(engine, committed, JobState.SUCCESS);
    }

    @Test
    void aFailingRunIsRetriedWithBackoffUntilItSucceeds() {
        JobEngine engine = engine();
        List<Long> runTimes = new CopyOnWriteArrayList<>();
        engine.register("test.flaky", KindOptions.DEFAULTS.withMaxAttempts(5).withBackoff(100, 1000), ctx -> {
            runTimes.add(System.currentTimeMillis());
            if (ctx.attempt() < 3) {
                throw new IllegalStateException("upstream said 503");
            }
            return "\"ok\"";
        });
        engine.start();
        String id = engine.enqueue(NewJob.of("test.flaky", "{}")).id();
        Job done = awaitState(engine, id, JobState.SUCCESS);
        assertThat(done.attempts()).isEqualTo(3);
        assertThat(runTimes).hasSize(3);
        // the second wait is at least half of base * 2 (equal jitter); the first at least half of base
        assertThat(runTimes.get(1) - runTimes.get(0)).isGreaterThanOrEqualTo(50);
        assertThat(runTimes.get(2) - runTimes.get(1)).isGreaterThanOrEqualTo(100);
    }

    @Test
    void aRunThatKeepsFailingEndsInFailureWithItsError() {
        JobEngine engine = engine();
        engine.register("test.broken", KindOptions.DEFAULTS.withMaxAttempts(3).withBackoff(10, 20), ctx -> {
            throw new IllegalArgumentException("no such scene");
        });
        engine.register("test.permanent", KindOptions.DEFAULTS.withMaxAttempts(3), ctx -> {
            throw new PermanentJobFailure("bad payload");
        });
        engine.start();
        String broken = engine.enqueue(NewJob.of("test.broken", "{}")).id();
        String permanent = engine.enqueue(NewJob.of("test.permanent", "{}")).id();
        Job b = awaitState(engine, broken, JobState.FAILURE);
        assertThat(b.attempts()).isEqualTo(3);
        assertThat(meters.get("lectern.jobs.retries").tag("kind", "test.broken").counter().count()).isEqualTo(2);
        assertThat(meters.get("lectern.jobs.failures").tag("kind", "test.broken").counter().count()).isEqualTo(1);
        assertThat(b.error()).isEqualTo("IllegalArgumentException: no such scene");
        Job p = awaitState(engine, permanent, JobState.FAILURE);
        assertThat(p.attempts()).isEqualTo(1);
        assertThat(p.error()).contains("bad payload");

        assertThat(engine.retry(permanent)).isTrue();
        Job again = awaitState(engine, permanent, JobState.FAILURE);
        assertThat(again.attempts()).isEqualTo(1);
        assertThat(engine.retry(engine.enqueue(NewJob.of("test.broken", "{}").runAt(Long.MAX_VALUE / 2)).id()))
                .isFalse();
    }

    @Test
    void aJobWithAnEtaDoesNotRunBeforeIt() {
        JobEngine engine = engine();
        List<Long> ranAt = new CopyOnWriteArrayList<>();
        engine.register("test.later", KindOptions.DEFAULTS, ctx -> {
            ranAt.add(System.currentTimeMillis());
            return null;
        });
        engine.start();
        long eta = System.currentTimeMillis() + 700;
        String id = engine.enqueue(NewJob.of("test.later", "{}").runAt(eta)).id();
        Job done = awaitState(engine, id, JobState.SUCCESS);
        assertThat(ranAt).hasSize(1);
        assertThat(ranAt.get(0)).isGreaterThanOrEqualTo(eta);
        assertThat(done.startedAt()).isGreaterThanOrEqualTo(eta);
    }

    @Test
    void higherPriorityRunsFirst() {
        JobEngine engine = engine(db(), Map.of("LECTERN_JOBS__WORKERS", "1"));
        List<Integer> order = new CopyOnWriteArrayList<>();
        engine.register("test.prio", KindOptions.DEFAULTS, ctx -> {
            order.add(Integer.parseInt(ctx.payload()));
            return null;
        });
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(engine.enqueue(NewJob.of("test.prio", "0")).id());
        }
        for (int i = 0; i < 6; i++) {
            ids.add(engine.enqueue(NewJob.of("test.prio", "5").priority(5)).id());
        }
        ids.add(engine.enqueue(NewJob.of("test.prio", "9").priority(9)).id());
        engine.start();
        ids.forEach(id -> awaitState(engine, id, JobState.SUCCESS));
        assertThat(order).containsExactly(9, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void aHigherPriorityJobQueuedDuringADrainRunsBeforeTheRestOfTheQueue() {
        // a drain claims on from where its last claim stopped (PostgreSQL): a job queued ahead of that point is
        // still claimed next
        JobEngine engine = engine(db(), Map.of("LECTERN_JOBS__WORKERS", "1"));
        List<String> order = new CopyOnWriteArrayList<>();
        engine.register("test.drain", KindOptions.DEFAULTS, ctx -> {
            Thread.sleep(25); // long enough that the node holds only 2 jobs per worker
            order.add(ctx.payload());
            return null;
        });
        List<NewJob> low = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            low.add(NewJob.of("test.drain", "\"low\""));
        }
        engine.enqueueAll(low);
        engine.start();
        await().atMost(WAIT).until(() -> order.size() >= 5);
        engine.enqueue(NewJob.of("test.drain", "\"high\"").priority(5));
        int ranBefore = order.size();
        await().atMost(WAIT).until(() -> order.size() == 61);
        // ahead of it at most: the claim under way when it was queued and the jobs this node held (2 per worker)
        assertThat(order.indexOf("\"high\"")).isLessThanOrEqualTo(ranBefore + 4);
    }

    @Test
    void outcomesTheDatabaseRefusesForLongerThanALeaseTermAreWrittenOnceItTakesThemAgain() throws Exception {
        // completions fail (a failover, a lock held a while) for longer than the lease the job was claimed with; the
        // heartbeat keeps renewing it, so the finisher must keep its outcome and not let the job run a second time
        // (it gave up after three tries, 0.6 s: the lease ran out, the reaper queued the job again, it ran twice)
        failCompletions(true);
        JobEngine engine = engine(db(), Map.of("LECTERN_JOBS__LEASE_MILLIS", "3000"));
        AtomicInteger runs = new AtomicInteger();
        engine.register("test.refused", KindOptions.DEFAULTS, ctx -> {
            runs.incrementAndGet();
            return "\"done\"";
        });
        engine.start();
        String id = engine.enqueue(NewJob.of("test.refused", "{}")).id();
        await().atMost(WAIT).until(() -> runs.get() == 1);
        long claimedUntil = engine.find(id).orElseThrow().leaseUntil();
        await().atMost(WAIT).until(() -> System.currentTimeMillis() > claimedUntil + 2000);
        failCompletions(false);
        Job done = awaitState(engine, id, JobState.SUCCESS);
        assertThat(runs.get()).isEqualTo(1);
        assertThat(done.attempts()).isEqualTo(1);
        assertThat(done.result()).isEqualTo("\"done\"");
    }

    /** While on, every write of a SUCCESS to the job table fails (a trigger), as in an outage of the database. */
    private void failCompletions(boolean fail) {
        boolean postgres = "postgresql".equals(db().kind());
        db().query(c -> {
            if (!fail) {
                return Jdbc.update(c, "DELETE FROM test_refuse_success");
            }
            Jdbc.update(c, "CREATE TABLE IF NOT EXISTS test_refuse_success (refuse INTEGER)");
            if (postgres) {
                Jdbc.update(c, "CREATE OR REPLACE FUNCTION test_refuse_success() RETURNS trigger LANGUAGE plpgsql AS "
                        + "$$ BEGIN IF NEW.state = 'SUCCESS' AND EXISTS (SELECT 1 FROM test_refuse_success) THEN "
                        + "RAISE EXCEPTION 'completions refused'; END IF; RETURN NEW; END $$");
                Jdbc.update(c, "CREATE OR REPLACE TRIGGER test_refuse_success BEFORE UPDATE ON job FOR EACH ROW "
                        + "EXECUTE FUNCTION test_refuse_success()");
            } else {
                Jdbc.update(c, "CREATE TRIGGER IF NOT EXISTS test_refuse_success BEFORE UPDATE ON job "
                        + "WHEN NEW.state = 'SUCCESS' AND EXISTS (SELECT 1 FROM test_refuse_success) "
                        + "BEGIN SELECT RAISE(ABORT, 'completions refused'); END");
            }
            return Jdbc.update(c, "INSERT INTO test_refuse_success VALUES (1)");
        });
    }

    @Test
    void aKindsConcurrencyLimitHolds() {
        JobEngine engine = engine(db(), Map.of("LECTERN_JOBS__WORKERS", "6"));
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger mostOther = new AtomicInteger();
        AtomicInteger runningOther = new AtomicInteger();
        engine.register("test.render", KindOptions.DEFAULTS.withConcurrency(2), ctx -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            Thread.sleep(40);
            running.decrementAndGet();
            return null;
        });
        engine.register("test.free", KindOptions.DEFAULTS, ctx -> {
            mostOther.accumulateAndGet(runningOther.incrementAndGet(), Math::max);
            Thread.sleep(40);
            runningOther.decrementAndGet();
            return null;
        });
        List<NewJob> jobs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            jobs.add(NewJob.of("test.render", "{}"));
            jobs.add(NewJob.of("test.free", "{}"));
        }
        List<Enqueued> ids = engine.enqueueAll(jobs);
        engine.start();
        ids.forEach(e -> awaitState(engine, e.id(), JobState.SUCCESS));
        assertThat(most.get()).isEqualTo(2);
        assertThat(mostOther.get()).isGreaterThan(2); // the limit is the kind's, not the node's
    }

    @Test
    void cancellingAWaitingJobRevokesIt() {
        JobEngine engine = engine();
        AtomicInteger runs = new AtomicInteger();
        engine.register("test.never", KindOptions.DEFAULTS, ctx -> {
            runs.incrementAndGet();
            return null;
        });
        engine.start();
        String id = engine.enqueue(NewJob.of("test.never", "{}").runAt(System.currentTimeMillis() + 60_000)).id();
        assertThat(engine.cancel(id)).isEqualTo(CancelResult.REVOKED);
        assertThat(engine.find(id).orElseThrow().state()).isEqualTo(JobState.REVOKED);
        assertThat(engine.cancel(id)).isEqualTo(CancelResult.ALREADY_FINAL);
        assertThat(engine.cancel("no-such-job")).isEqualTo(CancelResult.NOT_FOUND);
        assertThat(runs.get()).isZero();
    }

    @Test
    void cancellingARunningJobFromAnotherNodeStopsItAndItsChildProcess() throws Exception {
        JobEngine worker = engine();
        JobEngine api = engine(secondNode(), Map.of("LECTERN_JOBS__WORKERS", "0"));
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Process> child = new AtomicReference<>();
        engine(db(), Map.of()); // an idle node beside them changes nothing
        worker.register("test.render", KindOptions.DEFAULTS, ctx -> {
            child.set(ctx.start(new ProcessBuilder("sleep", "120")));
            started.countDown();
            while (!ctx.isCancelled()) {
                Thread.sleep(5);
            }
            ctx.checkCancelled();
            return "\"finished anyway\"";
        });
        worker.start();
        api.start();
        String id = api.enqueue(NewJob.of("test.render", "{}")).id();
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(api.cancel(id)).isEqualTo(CancelResult.CANCEL_REQUESTED);
        Job revoked = awaitState(api, id, JobState.REVOKED);
        assertThat(revoked.result()).isNull();
        assertThat(child.get().waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(child.get().isAlive()).isFalse();
    }

    @Test
    void aRunPastItsTimeoutIsStopped() {
        JobEngine engine = engine();
        engine.register("test.slow", KindOptions.DEFAULTS.withTimeoutMillis(200).withMaxAttempts(2).withBackoff(10, 10),
                ctx -> {
                    Thread.sleep(60_000); // interrupted by the timeout
                    return null;
                });
        engine.start();
        String id = engine.enqueue(NewJob.of("test.slow", "{}")).id();
        Job failed = awaitState(engine, id, JobState.FAILURE);
        assertThat(failed.attempts()).isEqualTo(2);
        assertThat(failed.error()).isEqualTo("timed out after 200 ms");
    }

    @Test
    void progressIsStoredAndToldToListeners() {
        JobEngine engine = engine();
        CountDownLatch reported = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        engine.register("test.steps", KindOptions.DEFAULTS, ctx -> {
            ctx.progress(50, "scene 1 of 2", "{\"scenes\":[\"a.mp4\"]}");
            reported.countDown();
            proceed.await(30, TimeUnit.SECONDS);
            return "{\"scenes\":[\"a.mp4\",\"b.mp4\"]}";
        });
        List<Job> seen = new CopyOnWriteArrayList<>();
        engine.addListener(seen::add);
        engine.start();
        String id = engine.enqueue(NewJob.of("test.steps", "{}")).id();
        await().atMost(WAIT).until(() -> reported.getCount() == 0);
        Job mid = engine.find(id).orElseThrow();
        assertThat(mid.state()).isEqualTo(JobState.STARTED);
        assertThat(mid.progressPercent()).isEqualTo(50.0);
        assertThat(mid.progressMessage()).isEqualTo("scene 1 of 2");
        assertThat(mid.partialResult()).isEqualTo("{\"scenes\":[\"a.mp4\"]}");
        proceed.countDown();
        awaitState(engine, id, JobState.SUCCESS);
        await().atMost(WAIT).until(() -> seen.stream().anyMatch(j -> j.state() == JobState.SUCCESS));
        assertThat(seen.stream().filter(j -> j.id().equals(id)).map(Job::state).distinct())
                .containsExactly(JobState.PENDING, JobState.STARTED, JobState.SUCCESS);
        assertThat(seen.stream().anyMatch(j -> Double.valueOf(50).equals(j.progressPercent()))).isTrue();
    }

    @Test
    void aWatcherOnAnotherNodeSeesEveryStepInOrderAndThenNothing() throws Exception {
        JobEngine worker = engine();
        JobEngine watcherNode = engine(secondNode(), Map.of("LECTERN_JOBS__WORKERS", "0"));
        CountDownLatch step = new CountDownLatch(1);
        CountDownLatch step2 = new CountDownLatch(1);
        worker.register("test.watched", KindOptions.DEFAULTS, ctx -> {
            ctx.progress(30, "first", null);
            step.await(30, TimeUnit.SECONDS);
            ctx.progress(60, "second", null);
            step2.await(30, TimeUnit.SECONDS);
            return "\"done\"";
        });
        String id = watcherNode.enqueue(NewJob.of("test.watched", "{}")).id();
        List<Job> seen = new CopyOnWriteArrayList<>();
        try (AutoCloseable watch = watcherNode.watch(id, seen::add)) {
            // the watcher's first snapshot before any worker may claim the job: else it may already read STARTED
            watcherNode.start();
            await().atMost(WAIT).until(() -> !seen.isEmpty());
            worker.start();
            await().atMost(WAIT).until(() -> seen.stream().anyMatch(j -> "first".equals(j.progressMessage())));
            step.countDown();
            await().atMost(WAIT).until(() -> seen.stream().anyMatch(j -> "second".equals(j.progressMessage())));
            step2.countDown();
            await().atMost(WAIT).until(() -> seen.stream().anyMatch(j -> j.state() == JobState.SUCCESS));
        }
        assertThat(seen.get(0).state()).isEqualTo(JobState.PENDING);
        assertThat(seen.get(seen.size() - 1).state()).isEqualTo(JobState.SUCCESS);
        assertThat(seen.get(seen.size() - 1).result()).isEqualTo("\"done\"");
        assertThat(seen).extracting(Job::updatedAt).isSorted();
        assertThat(seen).extracting(Job::progressMessage).containsSubsequence("first", "second");
    }

    @Test
    void aWatchEndsWithTheOutcomeEvenWhenTheLastProgressCameInTheSameMillisecond() throws Exception {
        // the outcome is written right after the last progress; both often share a millisecond, and a watch that
        // ordered changes by time alone dropped the outcome: the watcher never heard the job end
        JobEngine engine = engine();
        AtomicReference<CountDownLatch> gate = new AtomicReference<>();
        engine.register("test.gated", KindOptions.DEFAULTS, ctx -> {
            gate.get().await(30, TimeUnit.SECONDS);
            ctx.progress(99, "almost", null);
            return "\"done\"";
        });
        engine.start();
        for (int i = 0; i < 40; i++) {
            CountDownLatch running = new CountDownLatch(1);
            gate.set(running);
            String id = engine.enqueue(NewJob.of("test.gated", "{}")).id();
            List<Job> seen = new CopyOnWriteArrayList<>();
            try (AutoCloseable watch = engine.watch(id, seen::add)) {
                await().atMost(WAIT).until(() -> !seen.isEmpty());
                running.countDown();
                await().atMost(WAIT).until(() -> seen.stream().anyMatch(j -> j.state() == JobState.SUCCESS));
            }
            assertThat(seen.get(seen.size() - 1).result()).isEqualTo("\"done\"");
        }
    }

    @Test
    void laterVersionsOfAJobAreToldApartWithinOneMillisecond() {
        Job started = new Job("j", "k", JobState.STARTED, 0, 0, 1, 3, "o", null, "{}", null, null, 50.0, "half", null,
                "n", 10L, 1, false, 0, 1000, 900L, null);
        Job progressed = started.withProgress(99.0, "almost", null, 1000);
        Job done = progressed.finished(JobState.SUCCESS, "\"ok\"", null, 0, 1000);
        Job retried = progressed.finished(JobState.RETRY, null, "boom", 2000, 1000);
        Job again = retried.claimed("n", 20L, 1000);
        assertThat(JobEngine.isLater(progressed, started)).isTrue();
        assertThat(JobEngine.isLater(started, progressed)).isFalse();
        assertThat(JobEngine.isLater(done, progressed)).isTrue();
        assertThat(JobEngine.isLater(progressed, done)).isFalse();
        assertThat(JobEngine.isLater(done, done)).isFalse();
        assertThat(JobEngine.isLater(retried, progressed)).isTrue();
        assertThat(JobEngine.isLater(again, retried)).isTrue();
        assertThat(JobEngine.isLater(retried, again)).isFalse();
        assertThat(JobEngine.isLater(retried.finished(JobState.REVOKED, null, null, 0, 1000), retried)).isTrue();
        assertThat(JobEngine.isLater(started, started.withProgress(50.0, "half", null, 999))).isTrue();
    }

    @Test
    void aLostLeaseMakesTheOldWorkersCompletionChangeNothing() throws Exception {
        // node A's heartbeat is slow on purpose, so the fence in the database is what stops its write
        JobEngine a = engine(db(), Map.of("LECTERN_JOBS__LEASE_MILLIS", "60000",
                "LECTERN_JOBS__HEARTBEAT_MILLIS", "30000"));
        CountDownLatch aStarted = new CountDownLatch(1);
        CountDownLatch aMayFinish = new CountDownLatch(1);
        // concurrency 1: while its first run hangs, A cannot claim the job again itself; B must
        a.register("test.fenced", KindOptions.DEFAULTS.withConcurrency(1), ctx -> {
            aStarted.countDown();
            aMayFinish.await(30, TimeUnit.SECONDS);
            return "\"from A\"";
        });
        a.start();
        String id = a.enqueue(NewJob.of("test.fenced", "{}")).id();
        assertThat(aStarted.await(30, TimeUnit.SECONDS)).isTrue();
        // A's lease ends (A is paused, say): the reaper of node B returns the job and B runs it
        db().query(c -> Jdbc.update(c, "UPDATE job SET lease_until = 0 WHERE id = ?", id));
        JobEngine b = engine(secondNode(), Map.of());
        b.register("test.fenced", KindOptions.DEFAULTS, ctx -> "\"from B\"");
        b.start();
        Job byB = awaitState(b, id, JobState.SUCCESS);
        assertThat(byB.result()).isEqualTo("\"from B\"");
        assertThat(byB.attempts()).isEqualTo(2);
        aMayFinish.countDown();
        await().atMost(WAIT).until(() -> a.inflight() == 0);
        // A's outcome was written with its old token and matched nothing
        await().atMost(WAIT).untilAsserted(() -> assertThat(leaseLost()).isEqualTo(1.0));
        Job after = a.find(id).orElseThrow();
        assertThat(after.result()).isEqualTo("\"from B\"");
        assertThat(after.leaseToken()).isEqualTo(byB.leaseToken());
    }

    private double leaseLost() {
        var counter = meters.find("lectern.jobs.lease.lost").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aJobOfAHaltedNodeIsRetriedAndFinishedByAnother() throws Exception {
        JobEngine a = engine();
        CountDownLatch aStarted = new CountDownLatch(1);
        a.register("test.crash", KindOptions.DEFAULTS, ctx -> {
            aStarted.countDown();
            Thread.sleep(120_000);
            return "\"from A\"";
        });
        a.start();
        String id = a.enqueue(NewJob.of("test.crash", "{}")).id();
        assertThat(aStarted.await(30, TimeUnit.SECONDS)).isTrue();
        a.halt(); // like kill -9: no outcome, no heartbeat, no release
        JobEngine b = engine(secondNode(), Map.of());
        b.register("test.crash", KindOptions.DEFAULTS, ctx -> "\"from B\"");
        b.start();
        Job done = awaitState(b, id, JobState.SUCCESS);
        assertThat(done.result()).isEqualTo("\"from B\"");
        assertThat(done.attempts()).isEqualTo(2);
    }

    @Test
    void twoNodesRunEveryJobExactlyOnce() {
        db();
        SqlDatabase other = secondNode();
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        JobEngine a = engine(db(), Map.of());
        JobEngine b = engine(other, Map.of());
        for (JobEngine e : List.of(a, b)) {
            e.register("test.noop", KindOptions.DEFAULTS, ctx -> {
                runs.computeIfAbsent(ctx.jobId(), k -> new AtomicInteger()).incrementAndGet();
                return null;
            });
        }
        a.start();
        b.start();
        List<NewJob> batch = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            batch.add(NewJob.of("test.noop", "{}"));
        }
        List<Enqueued> ids = new ArrayList<>(a.enqueueAll(batch.subList(0, 500)));
        ids.addAll(b.enqueueAll(batch.subList(500, 1000)));
        await().atMost(WAIT).until(() -> a.list(new JobQuery(null, JobState.SUCCESS, "test.noop", 1, 0)).total()
                == 1000);
        assertThat(runs).hasSize(1000);
        assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        assertThat(ids.stream().map(Enqueued::id).distinct()).hasSize(1000);
    }

    @Test
    void listsFiltersAndPages() {
        JobEngine engine = engine(db(), Map.of("LECTERN_JOBS__WORKERS", "0"));
        for (int i = 0; i < 5; i++) {
            engine.enqueue(NewJob.of("test.list", "{}").owner("alice"));
        }
        engine.enqueue(NewJob.of("test.list", "{}").owner("bob"));
        JobPage page = engine.list(new JobQuery("alice", JobState.PENDING, null, 2, 2));
        assertThat(page.total()).isEqualTo(5);
        assertThat(page.jobs()).hasSize(2).allSatisfy(j -> assertThat(j.owner()).isEqualTo("alice"));
        assertThat(engine.list(new JobQuery(null, JobState.SUCCESS, null, 10, 0)).total()).isZero();
        assertThat(engine.list(new JobQuery(null, null, "test.list", 500, 0)).jobs()).hasSize(6);
    }
}

package dev.lectern.jobs;

import dev.lectern.core.config.JobsConfig;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.core.store.sql.SqlWork;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable job engine of one node. The job table is the queue and the result store; this class claims jobs for
 * its workers, keeps their leases alive, writes their outcomes, returns the jobs of dead workers to the queue and
 * wakes up as soon as work arrives. It knows nothing of what a job does: each kind registers a {@link JobHandler}.
 *
 * <p>Delivery is at least once: a job whose worker dies runs again elsewhere once its lease ends. The effects of a
 * run count at most once: every write of a run is fenced by the lease token of its claim, so a worker that lost its
 * lease (paused, partitioned, killed) changes nothing when it comes back.
 *
 * <p>Threads: one dispatcher (claims while workers are free, then parks until a wake-up, the next due job or the
 * fallback poll), {@code jobs.workers} workers, one finisher (writes outcomes in batches, one transaction each), one
 * scheduler (heartbeat, reaper, timeouts, depth gauges) and, on PostgreSQL, one LISTEN connection. Every method may
 * block on the database: call it from a blocking executor, never an event loop.
 */
public final class JobEngine implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(JobEngine.class);
    /** Kinds the engine runs for itself (webhook deliveries): their changes go to no {@link JobChangeHook}. */
    public static final String INTERNAL_PREFIX = "lectern.";
    private static final int FINISH_BATCH = 256;
    /**
     * Jobs queued behind each worker: at least 2 (one claim statement serves several jobs), more while jobs are short,
     * so that a worker holds about {@link #QUEUED_WORK_NANOS} of work: each claim is a round trip to the database,
     * and on a loaded machine that round trip, not the no-op job, set the pace (4 jobs a claim). Jobs held here
     * cannot run on an idle other node, hence the bound in time.
     */
    private static final int MIN_HELD_PER_WORKER = 2;
    private static final int MAX_HELD_PER_WORKER = 32;
    private static final double QUEUED_WORK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Claims start at the head of the queue at least this often (an ETA come due is seen within it). */
    private static final long HEAD_CLAIM_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final java.util.Comparator<Job> CLAIM_ORDER = java.util.Comparator
            .comparingInt(Job::priority).reversed().thenComparingLong(Job::runAt).thenComparing(Job::id);

    private final SqlDatabase db;
    private final JobRepository repo;
    private final JobsConfig config;
    private final String nodeId;
    private final JobMetrics metrics;
    private final KindOptions defaults;
    /** The most jobs this node holds claimed at once (running and queued behind its workers). */
    private final int maxHeld;
    /** Handler run time, a moving average over about the last 16 runs (nanoseconds; 0 before the first). */
    private volatile double runNanosAverage;
    private final Map<String, Registration> kinds = new ConcurrentHashMap<>();
    private final Map<String, RunningJob> inflight = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inflightByKind = new ConcurrentHashMap<>();
    /** Jobs claimed here and not yet done (the size of {@link #inflight}) plus slots reserved by hand-offs. */
    private final AtomicInteger held = new AtomicInteger();
    /** The last claim round found fewer ready jobs than it asked for: none of this node's kinds waits (as far as known). */
    private volatile boolean drained;
    private final Set<String> finishing = ConcurrentHashMap.newKeySet();
    private final List<JobListener> listeners = new CopyOnWriteArrayList<>();
    private final List<JobChangeHook> hooks = new CopyOnWriteArrayList<>();
    private final List<Wakeups> wakeups = new ArrayList<>();
    private final EphemeralStore ephemeral;
    private final BlockingQueue<JobRepository.Outcome> outcomes = new LinkedBlockingQueue<>(100_000);
    private final AtomicBoolean wake = new AtomicBoolean();
    /**
     * Work may have appeared ahead of {@link #claimBound} (an enqueue, a retry, a job returned to the queue, a wake-up
     * from another node): the next claim starts at the head of the queue.
     */
    private final AtomicBoolean claimFromHead = new AtomicBoolean(true);
    /** The dispatcher's: where its last claim in claim order stopped (PostgreSQL), null when it reached the end. */
    private JobRepository.ClaimBound claimBound;
    private long headClaimNanos;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ScheduledThreadPoolExecutor heartbeats;
    private ThreadPoolExecutor workers;
    private Thread dispatcher;
    private Thread finisher;
    private volatile boolean started;
    private volatile boolean stopping;
    private volatile boolean abandoned;
    private volatile long lastHeartbeatMillis;
    /** Waiting jobs when this node last refreshed the table's statistics (the scheduler's thread only). */
    private long analyzedWaiting;

    private record Registration(KindOptions options, JobHandler handler) {}

    /**
     * @param ephemeral the ephemeral store: its pub/sub carries wake-ups between nodes when it is Redis (may be null)
     */
    public JobEngine(SqlDatabase db, JobsConfig config, EphemeralStore ephemeral, MeterRegistry meters) {
        this(db, config, ephemeral, meters, "node-" + UUID.randomUUID().toString().substring(0, 8));
    }

    public JobEngine(SqlDatabase db, JobsConfig config, EphemeralStore ephemeral, MeterRegistry meters,
                     String nodeId) {
        this.db = Objects.requireNonNull(db, "db");
        this.config = Objects.requireNonNull(config, "config");
        this.repo = new JobRepository(db.kind());
        this.nodeId = nodeId + "-" + UUID.randomUUID().toString().substring(0, 6); // a restart is a new lease owner
        this.metrics = new JobMetrics(meters);
        this.ephemeral = ephemeral;
        this.defaults = new KindOptions(config.maxAttempts(), config.timeoutMillis(), 0, config.backoffBaseMillis(),
                config.backoffMaxMillis());
        this.maxHeld = config.workers() * MAX_HELD_PER_WORKER;
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "jobs-scheduler-" + nodeId));
        scheduler.setRemoveOnCancelPolicy(true);
        // the heartbeat has a thread of its own: a reaper waiting on a busy database must not delay it past the lease
        this.heartbeats = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "jobs-heartbeat-" + nodeId));
    }

    /** This engine's lease owner name (unique per start). */
    public String nodeId() {
        return nodeId;
    }

    /** Registers what a kind does; the options' zero fields take {@code jobs.*}, and {@code jobs.kinds} wins. */
    public void register(String kind, KindOptions options, JobHandler handler) {
        NewJob.of(kind, "{}"); // validates the name
        JobsConfig.Kind over = config.kinds().get(kind);
        KindOptions effective = defaults.overriddenBy(options);
        if (over != null) {
            effective = effective.overriddenBy(new KindOptions(over.maxAttempts(), over.timeoutMillis(),
                    over.concurrency(), 0, 0));
        }
        if (kinds.putIfAbsent(kind, new Registration(effective, Objects.requireNonNull(handler))) != null) {
            throw new IllegalStateException("job kind " + kind + " registered twice");
        }
        workArrived();
    }

    /** The options a kind runs with (the configured defaults for a kind not registered on this node). */
    public KindOptions options(String kind) {
        Registration r = kinds.get(kind);
        return r == null ? defaults : r.options();
    }

    public void addListener(JobListener listener) {
        listeners.add(listener);
    }

    public void addHook(JobChangeHook hook) {
        hooks.add(hook);
    }

    /** Starts the workers, the heartbeat, the reaper and the wake-up listeners. */
    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        Runnable onWake = this::workArrived;
        if (repo.postgres()) {
            wakeups.add(new PostgresWakeups(db, onWake, nodeId));
        }
        if (ephemeral != null && "redis".equals(ephemeral.kind())) {
            wakeups.add(new RedisWakeups(ephemeral, onWake));
        }
        long beat = config.heartbeatMillis();
        lastHeartbeatMillis = System.currentTimeMillis();
        long depthEvery = Math.max(beat, 5000);
        // before the first claim: a claim planned (and its plan cached) on stale statistics stays slow until they change
        guard(this::refreshDepth).run();
        if (config.workers() > 0) {
            AtomicInteger n = new AtomicInteger();
            workers = new ThreadPoolExecutor(config.workers(), config.workers(), 0, TimeUnit.MILLISECONDS,
                    new ArrayBlockingQueue<>(maxHeld), r -> daemon(r, "jobs-worker-" + nodeId + "-" + n.incrementAndGet()));
            dispatcher = daemon(this::dispatchLoop, "jobs-dispatch-" + nodeId);
            finisher = daemon(this::finishLoop, "jobs-finish-" + nodeId);
            dispatcher.start();
            finisher.start();
            heartbeats.scheduleWithFixedDelay(guard(this::heartbeat), beat, beat, TimeUnit.MILLISECONDS);
        }
        scheduler.scheduleWithFixedDelay(guard(this::reap), beat / 2, beat, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(guard(this::refreshDepth), depthEvery, depthEvery, TimeUnit.MILLISECONDS);
        logger.atInfo().addKeyValue("node", nodeId).addKeyValue("workers", config.workers())
                .addKeyValue("kinds", kinds.keySet()).addKeyValue("sql", db.kind()).log("job engine started");
    }

    // ---------------------------------------------------------------- enqueue, look up, cancel, retry

    /**
     * Enqueues a job in its own transaction and wakes the workers of every node. When a worker of this node is idle,
     * nothing of its kinds waits and the job may run now, the job is inserted already claimed by this node (the same
     * row a claim would write, in the enqueuing transaction) and handed to that worker on commit: no claim statement,
     * no wake-up of the dispatcher or of the other nodes.
     */
    public Enqueued enqueue(NewJob job) {
        Job[] inserted = new Job[2];
        long now = System.currentTimeMillis();
        JobRepository.ClaimedBy claim = reserveHandOff(job, now) ? new JobRepository.ClaimedBy(nodeId,
                now + config.leaseMillis()) : null;
        Enqueued e;
        try {
            // PostgreSQL without hooks: the INSERT alone, in autocommit (one round trip; COMMIT is a second one)
            SqlWork<Enqueued> work = c -> enqueue(c, job, inserted, claim);
            e = repo.postgres() && hooks.isEmpty() ? db.query(work) : db.transaction(work);
        } catch (RuntimeException ex) {
            if (claim != null) {
                held.decrementAndGet();
            }
            throw ex;
        }
        if (claim != null && (!e.created() || inserted[0].state() != JobState.STARTED)) {
            held.decrementAndGet(); // an idempotent replay: nothing new to run
        }
        if (!e.created()) {
            return e;
        }
        if (claim == null) {
            signal();
            fire(inserted[0]);
            return e;
        }
        afterHooks();
        fire(inserted[1]); // PENDING, then STARTED, as a claim by the dispatcher would have them
        fire(inserted[0]);
        dispatch(inserted[0], System.currentTimeMillis(), now);
        return e;
    }

    /** Takes a worker slot for a hand-off of this job, if one may happen (see {@link #enqueue(NewJob)}). */
    private boolean reserveHandOff(NewJob job, long now) {
        Registration reg = kinds.get(job.kind());
        if (workers == null || stopping || !drained || reg == null || reg.options().concurrency() > 0
                || job.runAtMillis() > now) {
            return false; // a kind with a concurrency limit goes through the dispatcher, which counts per kind
        }
        for (int n = held.get(); n < config.workers(); n = held.get()) {
            if (held.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Enqueues several jobs in one transaction (the same wake-up for all). */
    public List<Enqueued> enqueueAll(List<NewJob> jobs) {
        List<Enqueued> out = db.transaction(c -> {
            List<Enqueued> r = new ArrayList<>(jobs.size());
            for (NewJob j : jobs) {
                r.add(enqueue(c, j));
            }
            return r;
        });
        signal();
        return out;
    }

    /**
     * Enqueues a job in the caller's transaction (with the rows it concerns): it exists if and only if that
     * transaction commits. On PostgreSQL the other nodes are woken by the commit; call {@link #signal()} after it to
     * wake this node's workers at once (else they look at their next poll).
     */
    public Enqueued enqueue(Connection c, NewJob job) throws SQLException {
        return enqueue(c, job, new Job[2], null);
    }

    /** out[0]: the job as written; out[1]: its waiting (PENDING) row, which differs when it was claimed at once. */
    private Enqueued enqueue(Connection c, NewJob job, Job[] out, JobRepository.ClaimedBy claim) throws SQLException {
        int maxAttempts = job.maxAttempts() > 0 ? job.maxAttempts() : options(job.kind()).maxAttempts();
        JobRepository.Inserted ins = repo.insert(c, job, maxAttempts, System.currentTimeMillis(), claim);
        out[0] = ins.job();
        out[1] = ins.waiting();
        if (ins.created()) {
            runHooks(c, ins.job() == ins.waiting() ? List.of(ins.job()) : List.of(ins.waiting(), ins.job()));
        }
        return new Enqueued(ins.job().id(), ins.created());
    }

    /** Wakes this node's dispatcher and (over Redis) the other nodes'. */
    public void signal() {
        workArrived();
        for (Wakeups w : wakeups) {
            w.announce();
        }
    }

    public Optional<Job> find(String id) {
        return db.query(c -> repo.find(c, id));
    }

    public JobPage list(JobQuery query) {
        return db.query(c -> repo.list(c, query));
    }

    /** Cancels a job: a waiting one is REVOKED at once, a running one is asked to stop (seen within a heartbeat). */
    public CancelResult cancel(String id) {
        long now = System.currentTimeMillis();
        Job[] revoked = new Job[1];
        CancelResult result = db.transaction(c -> {
            Optional<Job> job = repo.find(c, id);
            if (job.isEmpty()) {
                return CancelResult.NOT_FOUND;
            }
            if (repo.revokeWaiting(c, id, now)) {
                revoked[0] = job.get().finished(JobState.REVOKED, null, null, job.get().runAt(), now);
                runHooks(c, List.of(revoked[0]));
                return CancelResult.REVOKED;
            }
            return repo.requestCancel(c, id, now) ? CancelResult.CANCEL_REQUESTED : CancelResult.ALREADY_FINAL;
        });
        afterHooks();
        RunningJob local = inflight.get(id);
        if (local != null && result == CancelResult.CANCEL_REQUESTED) {
            local.stop(RunningJob.Stop.CANCELLED, this::later);
        }
        if (revoked[0] != null) {
            fire(revoked[0]);
        }
        return result;
    }

    /** Queues a FAILURE or REVOKED job again with fresh attempts; false if it is not in one of those states. */
    public boolean retry(String id) {
        boolean done = db.transaction(c -> repo.retry(c, id, System.currentTimeMillis()));
        if (done) {
            signal();
            find(id).ifPresent(this::fire);
        }
        return done;
    }

    /**
     * Follows one job: the listener gets its current row at once, then every later change, in order, whichever node
     * makes it (changes made here arrive at once, those of other nodes within a second), and nothing after a final
     * state. Close the returned handle to stop. The listener runs on an engine thread: it must not block.
     */
    public AutoCloseable watch(String id, JobListener listener) {
        Object lock = new Object();
        Job[] last = {null};
        boolean[] ended = {false};
        Runnable[] stop = new Runnable[1];
        JobListener deliver = job -> {
            boolean done;
            synchronized (lock) {
                if (ended[0] || (last[0] != null && !isLater(job, last[0]))) {
                    return;
                }
                last[0] = job;
                ended[0] = job.state().isFinal();
                done = ended[0];
                listener.onChange(job);
            }
            if (done && stop[0] != null) {
                stop[0].run();
            }
        };
        JobListener local = job -> {
            if (job.id().equals(id)) {
                deliver.onChange(job);
            }
        };
        listeners.add(local);
        ScheduledFuture<?> poll = scheduler.scheduleWithFixedDelay(guard(() -> find(id).ifPresent(deliver::onChange)),
                0, Math.min(1000, config.pollMillis()), TimeUnit.MILLISECONDS);
        stop[0] = () -> {
            listeners.remove(local);
            poll.cancel(false);
        };
        return () -> stop[0].run();
    }

    /**
     * Whether {@code next} is a later version of the job than {@code last}. Two changes can share a millisecond (a
     * handler's last progress and its outcome, a claim and its PENDING row): then the attempt, the state's place in
     * an attempt (waiting, running, then retried or final) and the progress order them. Comparing times alone lost
     * the final event of a job whose last progress came in the same millisecond, and its stream never ended.
     */
    static boolean isLater(Job next, Job last) {
        if (next.updatedAt() != last.updatedAt()) {
            return next.updatedAt() > last.updatedAt();
        }
        if (next.attempts() != last.attempts()) {
            return next.attempts() > last.attempts();
        }
        int a = stage(next.state());
        int b = stage(last.state());
        if (a != b) {
            return a > b;
        }
        if (next.state() != last.state()) {
            return next.state().isFinal() && !last.state().isFinal(); // a waiting retry revoked: the end wins
        }
        double p = next.progressPercent() == null ? -1 : next.progressPercent();
        double q = last.progressPercent() == null ? -1 : last.progressPercent();
        return p > q || (p == q && !java.util.Objects.equals(next.progressMessage(), last.progressMessage()));
    }

    private static int stage(JobState s) {
        return switch (s) {
            case PENDING -> 0;
            case STARTED -> 1;
            case RETRY, SUCCESS, FAILURE, REVOKED -> 2;
        };
    }

    // ---------------------------------------------------------------- dispatcher

    /** A job may have become ready: wake the dispatcher, and its next claim looks at the whole queue. */
    private void workArrived() {
        claimFromHead.set(true);
        wake();
    }

    /** Wakes the dispatcher (a worker came free, or new work: see {@link #workArrived()}). */
    private void wake() {
        wake.set(true);
        Thread d = dispatcher;
        if (d != null) {
            LockSupport.unpark(d);
        }
    }

    private void dispatchLoop() {
        while (!stopping) {
            wake.set(false);
            long waitMillis = config.pollMillis();
            try {
                int capacity = capacity();
                int free = capacity - held.get();
                // claim at once while a worker may be idle (latency); with jobs already waiting here, claim only when
                // half the room (and at least a worker's worth) is free (throughput: one claim for several jobs)
                boolean someWaiting = inflight.values().stream().anyMatch(r -> !r.isRunning());
                if (free > 0 && (!someWaiting || free >= Math.max(config.workers(), capacity / 2))
                        && !kinds.isEmpty()) {
                    int claimed = claimRound(free);
                    if (claimed == free) {
                        continue; // there may be more
                    }
                    if (claimed == 0) {
                        Optional<Long> next = db.query(c -> repo.nextRunAt(c, kinds.keySet()));
                        if (next.isPresent()) {
                            waitMillis = Math.max(1, Math.min(waitMillis, next.get() - System.currentTimeMillis()));
                        }
                    }
                }
            } catch (RuntimeException e) {
                logger.atWarn().addKeyValue("node", nodeId).addKeyValue("error", e.toString())
                        .log("job claim failed; trying again at the next poll");
            }
            if (!wake.get() && !stopping) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(waitMillis));
            }
        }
    }

    /**
     * Claims up to {@code free} jobs. On PostgreSQL a claim goes on from where the last one stopped (same priority,
     * from its run_at) unless work may have appeared ahead of that point or {@link #HEAD_CLAIM_EVERY_NANOS} passed:
     * the head of the queue holds the index entries of every job claimed since the oldest open transaction of the
     * cluster began, and a claim from the head reads them all (a drain of 20,000 jobs went from 7 s to 18-46 s while
     * another database held a transaction open). When that priority has no more jobs past the point, the rest of the
     * round claims from the head.
     */
    private int claimRound(int free) {
        boolean head = claimFromHead.getAndSet(false) || System.nanoTime() - headClaimNanos >= HEAD_CLAIM_EVERY_NANOS;
        JobRepository.ClaimBound from = repo.postgres() && !head ? claimBound : null;
        int claimed = claimRound(free, from);
        if (from != null && claimed < free) {
            claimed += claimRound(free - claimed, null);
        }
        return claimed;
    }

    private int claimRound(int free, JobRepository.ClaimBound from) {
        List<String> unlimited = new ArrayList<>();
        Map<String, Integer> limited = new HashMap<>();
        kinds.forEach((kind, reg) -> {
            int limit = reg.options().concurrency();
            if (limit <= 0) {
                unlimited.add(kind);
            } else {
                int room = limit - inflightOf(kind).get();
                if (room > 0) {
                    limited.put(kind, room);
                }
            }
        });
        if (unlimited.isEmpty() && limited.isEmpty()) {
            return 0;
        }
        long now = System.currentTimeMillis();
        long leaseUntil = now + config.leaseMillis();
        if (from == null) {
            headClaimNanos = System.nanoTime();
        }
        List<Job> inOrder = new ArrayList<>();
        // without hooks a claim is one statement: autocommit, one round trip (PostgreSQL: BEGIN, COMMIT saved)
        SqlWork<List<Job>> work = c -> {
            List<Job> got = new ArrayList<>();
            inOrder.clear();
            if (!unlimited.isEmpty()) {
                inOrder.addAll(repo.claim(c, unlimited, free, nodeId, leaseUntil, now, from));
                got.addAll(inOrder);
            }
            for (Map.Entry<String, Integer> e : limited.entrySet()) {
                int n = Math.min(free - got.size(), e.getValue());
                if (n > 0) {
                    got.addAll(repo.claim(c, List.of(e.getKey()), n, nodeId, leaseUntil, now));
                }
            }
            runHooks(c, got);
            return got;
        };
        boolean oneStatement = hooks.isEmpty() && limited.isEmpty();
        List<Job> claimed = oneStatement ? db.query(work) : db.transaction(work);
        if (!claimed.isEmpty()) {
            afterHooks();
        }
        drained = claimed.size() < free;
        claimed.sort(CLAIM_ORDER); // RETURNING gives rows in no particular order
        // all it asked for: there may be more past the last one taken; the next claim may go on from there
        claimBound = inOrder.size() == free ? inOrder.stream().max(CLAIM_ORDER)
                .map(last -> new JobRepository.ClaimBound(last.priority(), last.runAt())).orElseThrow() : null;
        long committed = System.currentTimeMillis();
        for (Job job : claimed) {
            held.incrementAndGet();
            dispatch(job, committed, now);
        }
        claimed.forEach(this::fire);
        return claimed.size();
    }

    /** Queues a job claimed by this node (its slot in {@link #held} taken) for the workers. */
    private void dispatch(Job job, long committedMillis, long claimedMillis) {
        RunningJob run = new RunningJob(job, committedMillis, this::progress);
        inflight.put(job.id(), run);
        inflightOf(job.kind()).incrementAndGet();
        metrics.pickedUp(job.kind(), claimedMillis - job.runAt());
        try {
            workers.execute(() -> execute(run));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down: the job goes back to the queue through the finisher, its attempt not counted
            inflight.remove(job.id());
            inflightOf(job.kind()).decrementAndGet();
            held.decrementAndGet();
            finishing.add(job.id());
            if (!outcomes.offer(new JobRepository.Outcome(job, JobState.PENDING, null, null, job.runAt()))) {
                finishing.remove(job.id()); // the lease runs out and the reaper queues it again
            }
        }
    }

    /** How many jobs this node may hold claimed now (see {@link #MAX_HELD_PER_WORKER}). */
    private int capacity() {
        double average = runNanosAverage;
        int perWorker = average <= 0 ? MIN_HELD_PER_WORKER : (int) Math.max(MIN_HELD_PER_WORKER,
                Math.min(MAX_HELD_PER_WORKER, QUEUED_WORK_NANOS / average));
        return config.workers() * perWorker;
    }

    private AtomicInteger inflightOf(String kind) {
        return inflightByKind.computeIfAbsent(kind, k -> new AtomicInteger());
    }

    // ---------------------------------------------------------------- workers

    private void execute(RunningJob run) {
        Job job = run.job();
        Registration reg = kinds.get(job.kind());
        run.runningOn(Thread.currentThread());
        ScheduledFuture<?> timeout = scheduler.schedule(() -> {
            if (run.stop(RunningJob.Stop.TIMED_OUT, this::later)) {
                logger.atWarn().addKeyValue("job", job.id()).addKeyValue("kind", job.kind())
                        .log("job run timed out");
            }
        }, reg.options().timeoutMillis(), TimeUnit.MILLISECONDS);
        long t0 = System.nanoTime();
        JobRepository.Outcome outcome;
        try {
            run.checkCancelled();
            String result = reg.handler().handle(run);
            outcome = switch (run.stop()) {
                case NONE, SHUTDOWN -> new JobRepository.Outcome(job, JobState.SUCCESS, result, null, job.runAt());
                default -> stopped(run, reg, null);
            };
        } catch (Throwable e) {
            if (e instanceof Error && !(e instanceof AssertionError) && !(e instanceof StackOverflowError)) {
                logger.atError().setCause(e).addKeyValue("job", job.id()).log("job handler died with an error");
            }
            if (run.stop() != RunningJob.Stop.NONE) {
                outcome = stopped(run, reg, e);
            } else if (e instanceof PermanentJobFailure) {
                outcome = new JobRepository.Outcome(job, JobState.FAILURE, null, describe(e), job.runAt());
            } else {
                outcome = failOrRetry(job, reg.options(), describe(e));
            }
        } finally {
            timeout.cancel(false);
            run.destroyProcesses(this::later);
            Thread.interrupted(); // a timeout's interrupt must not leak into the next job on this thread
        }
        long ranNanos = System.nanoTime() - t0;
        metrics.ran(job.kind(), outcome == null ? "lost" : outcome.state().name(), ranNanos);
        double average = runNanosAverage; // workers race here: an average that loses an update now and then will do
        runNanosAverage = average <= 0 ? ranNanos : average + (ranNanos - average) / 16;
        if (outcome != null) {
            finishing.add(job.id());
            try {
                outcomes.put(outcome);
            } catch (InterruptedException e) {
                finishing.remove(job.id());
                Thread.currentThread().interrupt();
            }
        }
        inflight.remove(job.id());
        inflightOf(job.kind()).decrementAndGet();
        held.decrementAndGet();
        wake();
    }

    /** The outcome of a run stopped from outside; null when its lease is lost (another worker owns the job now). */
    private JobRepository.Outcome stopped(RunningJob run, Registration reg, Throwable e) {
        Job job = run.job();
        return switch (run.stop()) {
            case CANCELLED -> new JobRepository.Outcome(job, JobState.REVOKED, null, "cancelled", job.runAt());
            case TIMED_OUT -> failOrRetry(job, reg.options(),
                    "timed out after " + reg.options().timeoutMillis() + " ms");
            case SHUTDOWN -> new JobRepository.Outcome(job, JobState.PENDING, null, null, job.runAt()); // released
            case LEASE_LOST, NONE -> null;
        };
    }

    private JobRepository.Outcome failOrRetry(Job job, KindOptions options, String error) {
        if (job.attempts() >= job.maxAttempts()) {
            return new JobRepository.Outcome(job, JobState.FAILURE, null, error, job.runAt());
        }
        return new JobRepository.Outcome(job, JobState.RETRY, null, error,
                System.currentTimeMillis() + backoffMillis(options, job.attempts()));
    }

    /** Exponential from the base, capped, with "equal jitter": between half and all of the step. */
    static long backoffMillis(KindOptions options, int attempt) {
        long step = options.backoffBaseMillis();
        for (int i = 1; i < attempt && step < options.backoffMaxMillis(); i++) {
            step *= 2;
        }
        step = Math.min(step, options.backoffMaxMillis());
        long half = step / 2;
        return half + ThreadLocalRandom.current().nextLong(step - half + 1);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private void progress(RunningJob run, double percent, String message, String partial) {
        long now = System.currentTimeMillis();
        boolean held = db.query(c -> repo.progress(c, run.job(), percent, message, partial, now));
        if (held) {
            fire(run.job().withProgress(percent, message, partial, now));
        }
    }

    // ---------------------------------------------------------------- finisher

    private void finishLoop() {
        List<JobRepository.Outcome> batch = new ArrayList<>(FINISH_BATCH);
        while (true) {
            JobRepository.Outcome first;
            try {
                first = outcomes.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                if (stopping && workers.isTerminated() && outcomes.isEmpty()) {
                    return;
                }
                continue;
            }
            batch.clear();
            batch.add(first);
            outcomes.drainTo(batch, FINISH_BATCH - 1);
            if (abandoned) {
                continue;
            }
            writeOutcomes(batch);
        }
    }

    private void writeOutcomes(List<JobRepository.Outcome> batch) {
        long now = System.currentTimeMillis();
        List<JobRepository.Outcome> finishes = new ArrayList<>();
        List<JobRepository.Outcome> releases = new ArrayList<>();
        for (JobRepository.Outcome o : batch) {
            (o.state() == JobState.PENDING ? releases : finishes).add(o);
        }
        List<Job> changed = new ArrayList<>();
        List<JobRepository.Outcome> lost = new ArrayList<>();
        long firstFailure = 0;
        for (int attempt = 1; ; attempt++) {
            changed.clear();
            lost.clear();
            // on PostgreSQL without hooks or releases the batch is one statement: autocommit, one round trip
            boolean oneStatement = repo.postgres() && hooks.isEmpty() && releases.isEmpty();
            try {
                SqlWork<Void> work = c -> {
                    boolean[] applied = finishes.isEmpty() ? new boolean[0] : repo.finish(c, finishes, now);
                    for (int i = 0; i < applied.length; i++) {
                        JobRepository.Outcome o = finishes.get(i);
                        if (applied[i]) {
                            changed.add(o.job().finished(o.state(), o.result(), o.error(), o.runAt(), now));
                        } else {
                            lost.add(o);
                        }
                    }
                    for (JobRepository.Outcome o : releases) {
                        repo.release(c, o.job(), now);
                    }
                    runHooks(c, changed);
                    return null;
                };
                if (oneStatement) {
                    db.query(work);
                } else {
                    db.transaction(work);
                }
                break;
            } catch (RuntimeException e) {
                long failedAt = System.currentTimeMillis();
                if (firstFailure == 0) {
                    firstFailure = failedAt;
                }
                // while these outcomes wait here the heartbeat renews their leases (they are in finishing), so they
                // can still be written: giving up after a few tries let a short outage (a failover, a restart, a lock
                // held a second) run every job of the batch a second time once its lease ran out. Given up when the
                // leases are gone (no heartbeat for a lease) or, a batch the database keeps refusing, after five
                if (abandoned || failedAt - lastHeartbeatMillis > config.leaseMillis()
                        || failedAt - firstFailure >= 5 * config.leaseMillis()) {
                    // the leases run out and the reaper queues these jobs again: at least once, never lost
                    logger.atWarn().addKeyValue("node", nodeId).addKeyValue("jobs", batch.size())
                            .addKeyValue("error", e.toString()).log("job outcomes not written; leases will expire");
                    batch.forEach(o -> finishing.remove(o.job().id()));
                    return;
                }
                if (attempt == 1) {
                    logger.atWarn().addKeyValue("node", nodeId).addKeyValue("jobs", batch.size())
                            .addKeyValue("error", e.toString()).log("job outcomes not written yet; trying again");
                }
                sleep(Math.min(1000L, 100L * attempt));
            }
        }
        batch.forEach(o -> finishing.remove(o.job().id()));
        afterHooks();
        boolean retries = false;
        for (Job job : changed) {
            if (job.state() == JobState.RETRY) {
                metrics.retried(job.kind());
                retries = true;
            } else if (job.state() == JobState.FAILURE) {
                metrics.failed(job.kind());
            }
            fire(job);
        }
        for (JobRepository.Outcome o : lost) {
            metrics.leaseLost(o.job().kind());
            logger.atWarn().addKeyValue("job", o.job().id()).addKeyValue("token", o.job().leaseToken())
                    .log("job outcome discarded: this worker no longer held its lease");
        }
        if (retries || !releases.isEmpty()) {
            workArrived();
        }
    }

    // ---------------------------------------------------------------- heartbeat and reaper

    private void heartbeat() {
        if (abandoned) {
            return;
        }
        long start = System.currentTimeMillis();
        Set<String> ids = new HashSet<>(inflight.keySet());
        ids.addAll(finishing);
        if (ids.isEmpty()) {
            lastHeartbeatMillis = start;
            return;
        }
        Map<String, JobRepository.Lease> held = new HashMap<>();
        try {
            List<String> all = new ArrayList<>(ids);
            for (int i = 0; i < all.size(); i += 500) {
                List<String> chunk = all.subList(i, Math.min(all.size(), i + 500));
                db.query(c -> repo.heartbeat(c, nodeId, chunk, start + config.leaseMillis()))
                        .forEach(l -> held.put(l.id(), l));
            }
            lastHeartbeatMillis = start;
        } catch (RuntimeException e) {
            logger.atWarn().addKeyValue("node", nodeId).addKeyValue("error", e.toString()).log("job heartbeat failed");
            if (start - lastHeartbeatMillis > config.leaseMillis()) {
                // our leases have run out: the jobs belong to whoever claims them next
                inflight.values().forEach(run -> loseLease(run));
            }
            return;
        }
        for (RunningJob run : inflight.values()) {
            if (!ids.contains(run.jobId()) || run.claimedAtMillis() > start || finishing.contains(run.jobId())) {
                continue; // claimed after this heartbeat began, or its outcome is written already or being written
            }
            JobRepository.Lease lease = held.get(run.jobId());
            if (lease == null || lease.token() != run.job().leaseToken()) {
                loseLease(run);
            } else if (lease.cancelRequested()) {
                run.stop(RunningJob.Stop.CANCELLED, this::later);
            }
        }
    }

    private void loseLease(RunningJob run) {
        if (run.stop(RunningJob.Stop.LEASE_LOST, this::later)) {
            metrics.leaseLost(run.kind());
            logger.atWarn().addKeyValue("job", run.jobId()).log("job lease lost; the run is stopped");
        }
    }

    private void reap() {
        if (abandoned) {
            return;
        }
        long now = System.currentTimeMillis();
        List<Job> expired = db.query(c -> repo.expired(c, now, 100));
        if (expired.isEmpty()) {
            return;
        }
        List<Job> changed = db.transaction(c -> {
            List<Job> out = new ArrayList<>();
            for (Job job : expired) {
                KindOptions options = options(job.kind());
                boolean last = job.attempts() >= job.maxAttempts();
                JobState state = last ? JobState.FAILURE : JobState.RETRY;
                long runAt = last ? job.runAt() : now + backoffMillis(options, job.attempts());
                String error = "lease expired: worker " + job.leaseOwner() + " stopped answering (lease until "
                        + job.leaseUntil() + ", reaped at " + now + " by " + nodeId + ")";
                if (repo.reap(c, job, state, runAt, error, now)) {
                    out.add(job.finished(state, null, error, runAt, now));
                }
            }
            if (!out.isEmpty()) {
                repo.notifyOthers(c);
                runHooks(c, out);
            }
            return out;
        });
        afterHooks();
        for (Job job : changed) {
            logger.atWarn().addKeyValue("job", job.id()).addKeyValue("state", job.state())
                    .addKeyValue("error", job.error()).log("job of a lost worker returned to the queue");
            if (job.state() == JobState.RETRY) {
                metrics.retried(job.kind());
            } else {
                metrics.failed(job.kind());
            }
            fire(job);
        }
        if (!changed.isEmpty()) {
            signal();
        }
    }

    private void refreshDepth() {
        if (abandoned) {
            return;
        }
        Map<List<String>, Long> depth = db.query(repo::depth);
        metrics.depth(depth);
        long waiting = 0;
        for (Map.Entry<List<String>, Long> e : depth.entrySet()) {
            String state = e.getKey().get(1);
            if (state.equals(JobState.PENDING.name()) || state.equals(JobState.RETRY.name())) {
                waiting += e.getValue();
            }
        }
        // the queue outgrew the statistics the claim is planned with: refresh them now, not at autovacuum's next nap
        analyzedWaiting = Math.min(analyzedWaiting, waiting);
        if (repo.postgres() && waiting >= 1000 && waiting > 4 * analyzedWaiting) {
            analyzedWaiting = waiting; // tried once per fourfold growth, whether it succeeds or not
            db.transaction(c -> {
                repo.analyze(c);
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- events

    private void runHooks(Connection c, List<Job> changed) throws SQLException {
        if (hooks.isEmpty() || changed.isEmpty()) {
            return;
        }
        List<Job> visible = changed.stream().filter(j -> !j.kind().startsWith(INTERNAL_PREFIX)).toList();
        if (!visible.isEmpty()) {
            for (JobChangeHook hook : hooks) {
                hook.onStateChanges(c, visible);
            }
        }
    }

    /** Hooks may have queued jobs (webhook deliveries) in the transaction just committed: look for them now. */
    private void afterHooks() {
        if (!hooks.isEmpty()) {
            workArrived();
        }
    }

    private void fire(Job job) {
        for (JobListener l : listeners) {
            try {
                l.onChange(job);
            } catch (RuntimeException e) {
                logger.atWarn().setCause(e).addKeyValue("job", job.id()).log("job listener failed");
            }
        }
    }

    // ---------------------------------------------------------------- lifecycle

    private void later(Runnable r) {
        if (!scheduler.isShutdown()) {
            scheduler.schedule(guard(r), 1, TimeUnit.SECONDS);
        }
    }

    private Runnable guard(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                logger.atWarn().addKeyValue("node", nodeId).addKeyValue("error", e.toString())
                        .log("job engine task failed");
            }
        };
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops claiming, lets running jobs finish for up to one lease, asks the rest to stop (their jobs go back to the
     * queue), writes every outcome and releases the wake-up connections.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        wake();
        join(dispatcher);
        wakeups.forEach(Wakeups::close);
        if (workers != null) {
            inflight.values().stream().filter(r -> !r.isRunning())
                    .forEach(r -> r.stop(RunningJob.Stop.SHUTDOWN, this::later));
            workers.shutdown();
            if (!awaitWorkers(config.leaseMillis())) {
                inflight.values().forEach(r -> r.stop(RunningJob.Stop.SHUTDOWN, this::later));
                awaitWorkers(5000);
            }
            join(finisher);
        }
        scheduler.shutdownNow();
        heartbeats.shutdownNow();
        logger.atInfo().addKeyValue("node", nodeId).log("job engine stopped");
    }

    /**
     * Stops this engine the way a killed process stops: nothing more is written (no outcome, no heartbeat, no
     * release), so its jobs come back only through their leases running out. For failure tests and benchmarks.
     */
    public void halt() {
        abandoned = true;
        stopping = true;
        wake();
        scheduler.shutdownNow();
        heartbeats.shutdownNow();
        if (workers != null) {
            inflight.values().forEach(r -> r.stop(RunningJob.Stop.LEASE_LOST, r2 -> { }));
            workers.shutdownNow();
        }
        join(dispatcher);
        wakeups.forEach(Wakeups::close);
        if (finisher != null) {
            finisher.interrupt();
            join(finisher);
        }
    }

    private boolean awaitWorkers(long millis) {
        try {
            return workers.awaitTermination(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void join(Thread t) {
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Jobs claimed by this node and not yet finished (for tests and health). */
    public int inflight() {
        return inflight.size();
    }

    /** Kinds registered on this node. */
    public Set<String> kinds() {
        return Set.copyOf(kinds.keySet());
    }
}

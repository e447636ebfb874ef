package dev.lectern.media;

import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, shares, watches and stops LiveTalking-compatible avatar processes on this machine.
 *
 * <p>Each instance runs the configured command with its {@code {model} {avatar} {port} {host}} placeholders filled ({@code {host}}: loopback), a port
 * from the configured range, {@code CUDA_VISIBLE_DEVICES} set round-robin over the configured GPUs (at most
 * {@code maxInstancesPerGpu} each), and its output appended to {@code <dataDir>/avatars/<instance>.log}. It is handed
 * out only once its port answers HTTP. Up to {@code maxUsersPerInstance} users share one instance of an avatar. An
 * instance left without users for {@code idleStopMillis} is stopped; one whose process exits on its own is reported
 * to its users ({@link AvatarEvent.Type#CRASHED}) and started again on their next {@link #start}. {@link #close()}
 * stops every child (SIGTERM, then SIGKILL after {@code stopGraceMillis}, descendants included) and waits for them.
 *
 * <p>State changes happen under this object's lock and take microseconds; process control, readiness probes and
 * ephemeral-store writes run on the manager's own threads. The user → instance mapping is mirrored in the
 * ephemeral store ({@link AvatarService#USERS_KEY}) so that other nodes can see where a user's avatar runs.
 */
public final class LocalAvatarManager implements AvatarService {
    private static final Logger logger = LoggerFactory.getLogger(LocalAvatarManager.class);

    enum State { STARTING, READY, STOPPING, STOPPED }

    /** One process. Fields other than the final ones are guarded by the manager's lock. */
    static final class Instance {
        final String id;
        final AvatarsConfig.Avatar avatar;
        final int port;
        final String gpu;
        final Path log;
        /** The user whose start launched the process (for {@code avatars.maxInstancesPerUser}). */
        final String launchedBy;
        final CompletableFuture<Void> ready = new CompletableFuture<>();
        final Set<String> users = new LinkedHashSet<>();
        volatile State state = State.STARTING;
        volatile Process process;
        long idleSinceMillis;
        boolean crashed;

        Instance(String id, AvatarsConfig.Avatar avatar, int port, String gpu, Path log, String launchedBy) {
            this.id = id;
            this.launchedBy = launchedBy;
            this.avatar = avatar;
            this.port = port;
            this.gpu = gpu;
            this.log = log;
        }
    }

    private final AvatarsConfig config;
    private final Path logDir;
    private final EphemeralStore store;
    private final LongSupplier clock;
    private final ExecutorService control;
    private final ScheduledExecutorService timer;
    private final ExecutorService storeWriter;
    private final List<Consumer<AvatarEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger sequence = new AtomicInteger();

    // guarded by this
    private final Map<String, Instance> instances = new LinkedHashMap<>();
    private final Map<Integer, Instance> ports = new LinkedHashMap<>();
    private final Map<String, Integer> gpuLoad = new LinkedHashMap<>();
    private int nextGpu;
    private boolean closed;
    /** Starts waiting for a free slot, first come first served (at most {@code avatars.maxWaiting}). */
    private final java.util.ArrayDeque<Waiter> waiters = new java.util.ArrayDeque<>();

    /** A start waiting in line for a slot. */
    private record Waiter(String userId, AvatarsConfig.Avatar avatar, CompletableFuture<AvatarAssignment> result) {}

    /**
     * Ports handed out by every manager of this JVM (several nodes in one process share a range): the free-port check
     * sees a port as free until its process binds it, so without this two managers could pick the same one.
     */
    private static final Set<Integer> RESERVED_PORTS = ConcurrentHashMap.newKeySet();
    /** What a 503 after the wait (or with the line full) says about when to come back. */
    static final long RETRY_AFTER_SECONDS = 10;

    /** Per user: when their avatar was last used through the proxy or spoken on (the lease). */
    private final Map<String, Long> lastActive = new ConcurrentHashMap<>();
    /** The start-up scan of the port range on this machine's other addresses: the addresses:ports that answered. */
    private final CompletableFuture<List<String>> exposureScan = new CompletableFuture<>();

    // read without the lock by the proxy
    private final Map<String, Instance> byUser = new ConcurrentHashMap<>();
    private final Map<String, String> crashedUsers = new ConcurrentHashMap<>();

    public LocalAvatarManager(AvatarsConfig config, Path dataDir, EphemeralStore store) {
        this(config, dataDir, store, System::currentTimeMillis, true);
    }

    /**
     * With a clock for the idle timer; {@code reapIdleAutomatically=false} leaves {@link #reapIdle()} to the caller
     * (tests drive it with their clock instead of waiting).
     */
    public LocalAvatarManager(AvatarsConfig config, Path dataDir, EphemeralStore store, LongSupplier clockMillis,
                              boolean reapIdleAutomatically) {
        this.config = config;
        this.logDir = dataDir.resolve("avatars");
        this.store = store;
        this.clock = clockMillis;
        for (String g : config.gpus()) {
            gpuLoad.put(g, 0);
        }
        int threads = Math.max(2, Math.min(16, config.capacity()));
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(4 * threads + 64), daemon("lectern-avatar-control"));
        pool.allowCoreThreadTimeOut(true);
        this.control = pool;
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("lectern-avatar-timer"));
        this.storeWriter = Executors.newSingleThreadExecutor(daemon("lectern-avatar-store"));
        if (reapIdleAutomatically) {
            long every = Math.max(100, Math.min(10_000, Math.min(config.idleStopMillis(), config.leaseMillis()) / 4));
            timer.scheduleWithFixedDelay(this::reapIdle, every, every, TimeUnit.MILLISECONDS);
        }
        try {
            control.execute(this::scanExposure);
        } catch (RejectedExecutionException e) {
            exposureScan.complete(List.of());
        }
    }

    /**
     * Start-up check: does anything answer on the avatar port range at one of this machine's non-loopback addresses?
     * Such a listener (an avatar started by hand, or an old one bound to 0.0.0.0) is reachable without Lectern's
     * proxy: each is logged as a warning.
     */
    private void scanExposure() {
        List<String> found = new ArrayList<>();
        try {
            found = Exposure.answering(config.portRangeStart(), config.portRangeEnd(),
                    Math.min(200, config.connectTimeoutMillis()));
            for (String where : found) {
                logger.warn("{} answers inside the avatar port range {}-{} on a non-loopback address: it is reachable"
                        + " without Lectern's proxy; bind avatars to {{host}} (127.0.0.1)", where,
                        config.portRangeStart(), config.portRangeEnd());
            }
        } finally {
            exposureScan.complete(List.copyOf(found));
        }
    }

    /** The start-up scan's findings ({@code address:port} that answered on a non-loopback address). */
    public CompletableFuture<List<String>> exposureScan() {
        return exposureScan;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public List<AvatarsConfig.Avatar> catalogue() {
        return config.catalogue();
    }

    @Override
    public void addListener(Consumer<AvatarEvent> listener) {
        listeners.add(listener);
    }

    // ---------------------------------------------------------------- start / disconnect

    @Override
    public CompletionStage<AvatarAssignment> start(String userId, String avatarName) {
        AvatarsConfig.Avatar avatar;
        try {
            avatar = Catalogue.require(config, avatarName);
        } catch (AvatarException e) {
            return CompletableFuture.failedFuture(e);
        }
        return start(userId, avatar);
    }

    @Override
    public CompletionStage<AvatarAssignment> start(String userId, AvatarsConfig.Avatar avatar) {
        String avatarName = avatar.name();
        Instance chosen;
        boolean isNew = false;
        Instance released = null;
        Waiter waiting = null;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(shuttingDown());
            }
            crashedUsers.remove(userId);
            lastActive.put(userId, clock.getAsLong());
            dropWaiterLocked(userId, "replaced by a newer start");
            Instance current = byUser.get(userId);
            if (current != null && current.avatar.name().equals(avatarName) && live(current)) {
                chosen = current;
            } else {
                if (current != null) {
                    releaseLocked(userId, current);
                    released = current;
                }
                chosen = shareable(avatar);
                if (chosen == null && waiters.isEmpty()) { // nobody is in line before this start
                    limitUserLocked(userId);
                    chosen = allocate(avatar, userId);
                    isNew = chosen != null;
                }
                if (chosen == null) {
                    if (waiters.size() >= config.maxWaiting()) {
                        return CompletableFuture.failedFuture(noCapacity("all avatar slots are in use and "
                                + waiters.size() + " start(s) are waiting; try again later"));
                    }
                    waiting = new Waiter(userId, avatar, new CompletableFuture<>());
                    waiters.add(waiting);
                    reclaimIdleLocked();
                } else {
                    chosen.users.add(userId);
                    byUser.put(userId, chosen);
                }
            }
        }
        if (released != null) {
            logger.info("user {} switched from instance {} to avatar {}", userId, released.id, avatarName);
        }
        if (waiting != null) {
            Waiter w = waiting;
            try {
                timer.schedule(() -> waitedTooLong(w), config.maxWaitMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                w.result.completeExceptionally(shuttingDown());
            }
            return w.result;
        }
        return assign(userId, chosen, isNew);
    }

    /** Hands the user the instance (launching it when new) and answers once it is ready. */
    private CompletionStage<AvatarAssignment> assign(String userId, Instance instance, boolean created) {
        writeMapping(userId, instance, "starting");
        if (created) {
            launch(instance);
        }
        return instance.ready.thenApply(v -> {
            int connections;
            synchronized (this) {
                connections = instance.users.size();
                if (byUser.get(userId) == instance) {
                    lastActive.put(userId, clock.getAsLong()); // the lease runs from the moment it is usable
                }
            }
            writeMapping(userId, instance, "ready");
            return new AvatarAssignment(instance.avatar.name(), instance.id, instance.port, instance.gpu, connections,
                    created);
        });
    }

    private static AvatarException noCapacity(String message) {
        return new AvatarException(AvatarException.Kind.NO_CAPACITY, message, RETRY_AFTER_SECONDS);
    }

    /**
     * A user's footprint: the instances their starts launched and they left idle (by switching avatar), plus the one
     * being started, stay within {@code maxInstancesPerUser}: their oldest idle ones are stopped at once instead of
     * holding a slot until {@code idleStopMillis}.
     */
    private void limitUserLocked(String userId) {
        List<Instance> idle = new ArrayList<>();
        for (Instance i : instances.values()) {
            if (userId.equals(i.launchedBy) && i.state == State.READY && i.users.isEmpty()) {
                idle.add(i);
            }
        }
        idle.sort(java.util.Comparator.comparingLong(i -> i.idleSinceMillis));
        int excess = idle.size() + 1 - config.maxInstancesPerUser(); // + 1: the instance being started
        for (int k = 0; k < excess; k++) {
            stopIdleLocked(idle.get(k), "its user started another avatar (avatars.maxInstancesPerUser)");
        }
    }

    /** A waiter still in line after {@code maxWaitMillis}: 503 with Retry-After. */
    private void waitedTooLong(Waiter w) {
        boolean removed;
        synchronized (this) {
            removed = waiters.remove(w);
        }
        if (removed) {
            w.result.completeExceptionally(noCapacity("no avatar slot became free within "
                    + config.maxWaitMillis() / 1000 + " s; try again later"));
        }
    }

    private void dropWaiterLocked(String userId, String why) {
        for (java.util.Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.userId.equals(userId)) {
                it.remove();
                w.result.completeExceptionally(new AvatarException(AvatarException.Kind.NO_CAPACITY, why));
            }
        }
    }

    /** Gives freed slots (or room in a shared instance) to the starts in line, first come first served. */
    private void drainWaitersLocked() {
        while (!closed && !waiters.isEmpty()) {
            Waiter w = waiters.peek();
            Instance chosen = shareable(w.avatar);
            boolean isNew = false;
            if (chosen == null) {
                limitUserLocked(w.userId);
                chosen = allocate(w.avatar, w.userId);
                isNew = chosen != null;
            }
            if (chosen == null) {
                return;
            }
            waiters.poll();
            chosen.users.add(w.userId);
            byUser.put(w.userId, chosen);
            lastActive.put(w.userId, clock.getAsLong());
            logger.info("user {} waited in line and gets instance {} of avatar {}", w.userId, chosen.id,
                    w.avatar.name());
            assign(w.userId, chosen, isNew).whenComplete((a, e) -> {
                if (e != null) {
                    w.result.completeExceptionally(e);
                } else {
                    w.result.complete(a);
                }
            });
        }
    }

    /** With starts in line: stops the instance idle the longest (no users), unless enough are stopping already. */
    private void reclaimIdleLocked() {
        int stopping = 0;
        Instance oldest = null;
        for (Instance i : instances.values()) {
            stopping += i.state == State.STOPPING ? 1 : 0;
            if (i.state == State.READY && i.users.isEmpty()
                    && (oldest == null || i.idleSinceMillis < oldest.idleSinceMillis)) {
                oldest = i;
            }
        }
        if (oldest != null && stopping < waiters.size()) {
            stopIdleLocked(oldest, "a start is waiting for its slot");
        }
    }

    /** Stops an instance without users; its slot is handed on when the process has exited. */
    private void stopIdleLocked(Instance i, String why) {
        i.state = State.STOPPING;
        Process p = i.process;
        logger.info("avatar instance {} without users stopped: {}", i.id, why);
        runSafely(() -> {
            ProcessStopper.stop(p, config.stopGraceMillis());
            emit(new AvatarEvent(AvatarEvent.Type.IDLE_STOPPED, i.id, i.avatar.name(), List.of(), why));
        });
    }

    @Override
    public Optional<String> currentAvatar(String userId) {
        Instance i = byUser.get(userId);
        return i == null ? Optional.empty() : Optional.of(i.avatar.name());
    }

    /** The user's avatar was used (a proxied request, a sentence spoken): their lease starts over. */
    @Override
    public void touch(String userId) {
        if (byUser.containsKey(userId)) {
            lastActive.put(userId, clock.getAsLong());
        }
    }

    private static boolean live(Instance i) {
        return i.state == State.STARTING || i.state == State.READY;
    }

    /** A live instance of this avatar with room for one more user; the fullest such, to keep others free. */
    private Instance shareable(AvatarsConfig.Avatar avatar) {
        Instance best = null;
        for (Instance i : instances.values()) {
            if (i.avatar.name().equals(avatar.name()) && live(i) && i.users.size() < config.maxUsersPerInstance()
                    && (best == null || i.users.size() > best.users.size())) {
                best = i;
            }
        }
        return best;
    }

    /** A new instance with a free port and GPU slot, or null when there is none. */
    private Instance allocate(AvatarsConfig.Avatar avatar, String launchedBy) {
        String gpu = null;
        if (!config.gpus().isEmpty()) {
            List<String> gpus = config.gpus();
            for (int k = 0; k < gpus.size(); k++) {
                String g = gpus.get((nextGpu + k) % gpus.size());
                if (gpuLoad.get(g) < config.maxInstancesPerGpu()) {
                    gpu = g;
                    nextGpu = (nextGpu + k + 1) % gpus.size();
                    break;
                }
            }
            if (gpu == null) {
                return null;
            }
        }
        int port = -1;
        for (int p = config.portRangeStart(); p <= config.portRangeEnd(); p++) {
            if (!ports.containsKey(p) && !RESERVED_PORTS.contains(p) && PortCheck.isFree(p) && RESERVED_PORTS.add(p)) {
                port = p;
                break;
            }
        }
        if (port < 0) {
            return null;
        }
        String id = avatar.name() + "-" + sequence.incrementAndGet();
        Instance i = new Instance(id, avatar, port, gpu, logDir.resolve(id + ".log"), launchedBy);
        instances.put(id, i);
        ports.put(port, i);
        if (gpu != null) {
            gpuLoad.merge(gpu, 1, Integer::sum);
        }
        return i;
    }

    @Override
    public CompletionStage<Boolean> disconnect(String userId) {
        boolean had;
        synchronized (this) {
            dropWaiterLocked(userId, "disconnected while waiting");
            lastActive.remove(userId);
            boolean wasCrashed = crashedUsers.remove(userId) != null;
            Instance current = byUser.get(userId);
            if (current != null) {
                releaseLocked(userId, current);
            }
            had = current != null || wasCrashed;
        }
        if (had) {
            storeWrite(() -> store.hdel(USERS_KEY, userId));
        }
        return CompletableFuture.completedFuture(had);
    }

    private void releaseLocked(String userId, Instance instance) {
        byUser.remove(userId, instance);
        if (instance.users.remove(userId) && instance.users.isEmpty()) {
            instance.idleSinceMillis = clock.getAsLong();
        }
        if (!waiters.isEmpty()) {
            drainWaitersLocked(); // room in a shared instance, or an idle one to reclaim
            reclaimIdleLocked();
        }
    }

    @Override
    public ProxyTarget target(String userId) {
        Instance i = byUser.get(userId);
        if (i == null) {
            String crashed = crashedUsers.get(userId);
            return crashed != null ? new ProxyTarget.Crashed(crashed) : ProxyTarget.NONE;
        }
        State s = i.state;
        if (s == State.READY) {
            return new ProxyTarget.Ready(i.port, i.id);
        }
        if (s == State.STARTING) {
            return new ProxyTarget.Starting(i.id);
        }
        return new ProxyTarget.Crashed(i.avatar.name());
    }

    // ---------------------------------------------------------------- process lifecycle

    /** The address avatar processes are told to bind ({@code {host}}): only this machine reaches them. */
    static final String LOOPBACK = "127.0.0.1";

    /** The command with its placeholders filled; every argument is passed as-is, never through a shell. */
    static List<String> command(List<String> template, AvatarsConfig.Avatar avatar, int port) {
        List<String> out = new ArrayList<>(template.size());
        for (String arg : template) {
            out.add(arg.replace("{model}", avatar.avatarModel()).replace("{avatar}", avatar.avatarId())
                    .replace("{port}", Integer.toString(port)).replace("{host}", LOOPBACK));
        }
        return out;
    }

    /** The child-environment allow-list ({@link dev.lectern.core.util.ChildEnvironment}). */
    static final java.util.Set<String> ALLOWED_ENV = dev.lectern.core.util.ChildEnvironment.ALLOWED;

    private void launch(Instance instance) {
        try {
            control.execute(() -> spawn(instance));
        } catch (RejectedExecutionException e) {
            fail(instance, new AvatarException(AvatarException.Kind.NO_CAPACITY, "avatar manager is busy"));
        }
    }

    private void spawn(Instance instance) {
        List<String> cmd = command(config.command(), instance.avatar, instance.port);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(Path.of(config.workDir()).toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(nullFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(instance.log.toFile()));
        dev.lectern.core.util.ChildEnvironment.keepOnly(pb.environment());
        if (instance.gpu != null) {
            pb.environment().put("CUDA_VISIBLE_DEVICES", instance.gpu);
        }
        Process process;
        synchronized (this) {
            if (instance.state != State.STARTING) {
                return; // stopped (shutdown, or its users left and it failed) before it ran
            }
            try {
                Files.createDirectories(logDir);
                process = pb.start();
            } catch (IOException | RuntimeException e) {
                logger.warn("cannot start avatar instance {}: {}", instance.id, e.toString());
                failLocked(instance, new AvatarException(AvatarException.Kind.START_FAILED,
                        "the avatar process could not be started"));
                return;
            }
            instance.process = process;
        }
        logger.info("avatar instance {} started: pid {} port {} gpu {} log {}", instance.id, process.pid(),
                instance.port, instance.gpu, instance.log);
        process.onExit().thenRunAsync(() -> onExit(instance, process), this::runSafely);
        long deadline = clock.getAsLong() + config.readyTimeoutMillis();
        scheduleProbe(instance, deadline, 0);
    }

    private static java.io.File nullFile() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    private void runSafely(Runnable task) {
        try {
            control.execute(task);
        } catch (RejectedExecutionException e) {
            task.run(); // shutting down: run where we are
        }
    }

    private void scheduleProbe(Instance instance, long deadlineMillis, long delayMillis) {
        try {
            timer.schedule(() -> runSafely(() -> probe(instance, deadlineMillis)), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // shutting down; close() fails the start
        }
    }

    private void probe(Instance instance, long deadlineMillis) {
        if (instance.state != State.STARTING || !instance.process.isAlive()) {
            return; // exit handling reports a process that died while starting
        }
        if (ReadinessProbe.answers(instance.port, config.readyPath(), config.connectTimeoutMillis())) {
            synchronized (this) {
                if (instance.state != State.STARTING) {
                    return;
                }
                instance.state = State.READY;
                if (instance.users.isEmpty()) {
                    instance.idleSinceMillis = clock.getAsLong();
                }
            }
            logger.info("avatar instance {} ready on port {}", instance.id, instance.port);
            instance.ready.complete(null);
            String exposed = Exposure.answeringAddress(instance.port, config.connectTimeoutMillis());
            if (exposed != null) {
                logger.warn("avatar instance {} also answers on {}:{} (not only loopback): anyone who reaches that"
                        + " address bypasses Lectern's proxy; bind it to {{host}} (127.0.0.1) in avatars.command",
                        instance.id, exposed, instance.port);
            }
            return;
        }
        if (clock.getAsLong() >= deadlineMillis) {
            logger.warn("avatar instance {} not ready after {} ms; stopping it", instance.id,
                    config.readyTimeoutMillis());
            fail(instance, new AvatarException(AvatarException.Kind.NOT_READY,
                    "the avatar did not become ready in time"));
            return;
        }
        scheduleProbe(instance, deadlineMillis, config.readyProbeIntervalMillis());
    }

    /** A start that cannot complete: users released, the process (if any) stopped, the waiting callers told. */
    private void fail(Instance instance, AvatarException error) {
        synchronized (this) {
            failLocked(instance, error);
        }
    }

    private void failLocked(Instance instance, AvatarException error) {
        if (instance.state != State.STARTING) {
            return;
        }
        List<String> users = new ArrayList<>(instance.users);
        for (String u : users) {
            byUser.remove(u, instance);
        }
        instance.users.clear();
        instance.state = State.STOPPING;
        if (instance.process == null) {
            freeLocked(instance);
        } else {
            Process p = instance.process;
            runSafely(() -> ProcessStopper.stop(p, config.stopGraceMillis()));
        }
        for (String u : users) {
            storeWrite(() -> store.hdel(USERS_KEY, u));
        }
        instance.ready.completeExceptionally(error);
    }

    private void onExit(Instance instance, Process process) {
        List<String> users;
        boolean crashed;
        synchronized (this) {
            crashed = instance.state == State.STARTING || instance.state == State.READY;
            users = new ArrayList<>(instance.users);
            if (crashed) {
                instance.crashed = true;
                for (String u : users) {
                    if (byUser.remove(u, instance)) {
                        crashedUsers.put(u, instance.avatar.name());
                    }
                }
                instance.users.clear();
            }
            instance.state = State.STOPPED;
            freeLocked(instance);
        }
        if (!crashed) {
            logger.info("avatar instance {} stopped (exit {})", instance.id, process.exitValue());
            return;
        }
        logger.warn("avatar instance {} exited on its own with code {}; {} user(s) affected; see {}", instance.id,
                process.exitValue(), users.size(), instance.log);
        instance.ready.completeExceptionally(new AvatarException(AvatarException.Kind.START_FAILED,
                "the avatar process exited before it was ready"));
        for (String u : users) {
            writeMapping(u, instance, "crashed");
        }
        emit(new AvatarEvent(AvatarEvent.Type.CRASHED, instance.id, instance.avatar.name(), users,
                "the avatar stopped unexpectedly; start it again"));
    }

    private void freeLocked(Instance instance) {
        if (instances.remove(instance.id) != null) {
            ports.remove(instance.port, instance);
            RESERVED_PORTS.remove(instance.port);
            if (instance.gpu != null) {
                gpuLoad.merge(instance.gpu, -1, Integer::sum);
            }
            drainWaitersLocked();
        }
    }

    /**
     * Releases users whose lease ran out ({@code leaseMillis} without proxy or voice activity), then stops instances
     * that have had no users for {@code idleStopMillis}. Runs periodically; public for tests.
     */
    public void reapIdle() {
        long now = clock.getAsLong();
        List<Instance> idle = new ArrayList<>();
        List<String> expired = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            for (Map.Entry<String, Instance> e : new ArrayList<>(byUser.entrySet())) {
                Long last = lastActive.get(e.getKey());
                if (e.getValue().state == State.READY && (last == null || now - last >= config.leaseMillis())) {
                    releaseLocked(e.getKey(), e.getValue());
                    lastActive.remove(e.getKey());
                    expired.add(e.getKey());
                }
            }
            for (Instance i : instances.values()) {
                if (i.state == State.READY && i.users.isEmpty()
                        && now - i.idleSinceMillis >= config.idleStopMillis()) {
                    i.state = State.STOPPING;
                    idle.add(i);
                }
            }
        }
        for (String u : expired) {
            logger.info("avatar lease of user {} expired after {} ms without activity; slot released", u,
                    config.leaseMillis());
            storeWrite(() -> store.hdel(USERS_KEY, u));
        }
        for (Instance i : idle) {
            logger.info("avatar instance {} idle for {} ms; stopping it", i.id, now - i.idleSinceMillis);
            Process p = i.process;
            runSafely(() -> ProcessStopper.stop(p, config.stopGraceMillis()));
            emit(new AvatarEvent(AvatarEvent.Type.IDLE_STOPPED, i.id, i.avatar.name(), List.of(), "stopped when idle"));
        }
    }

    // ---------------------------------------------------------------- events and store

    private void emit(AvatarEvent event) {
        for (Consumer<AvatarEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                logger.warn("avatar event listener failed", e);
            }
        }
        storeWrite(() -> store.publish(EVENTS_CHANNEL, Json.write(event)));
    }

    private void writeMapping(String userId, Instance instance, String state) {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("instance_id", instance.id);
        value.put("avatar", instance.avatar.name());
        value.put("host", "127.0.0.1");
        value.put("port", instance.port);
        value.put("state", state);
        String json = Json.write(value);
        storeWrite(() -> {
            // a later release wins: only write while the user still belongs to this instance (or it crashed)
            if (byUser.get(userId) == instance || (state.equals("crashed") && crashedUsers.containsKey(userId))) {
                store.hset(USERS_KEY, userId, json);
            }
        });
    }

    private void storeWrite(Runnable write) {
        try {
            storeWriter.execute(() -> {
                try {
                    write.run();
                } catch (RuntimeException e) {
                    logger.warn("avatar mapping not written to the ephemeral store: {}", e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    // ---------------------------------------------------------------- views for health and tests

    /** A snapshot of one instance. */
    public record InstanceView(String id, String avatarName, int port, String gpu, String state, List<String> users,
                               long pid, Path log) {}

    public synchronized List<InstanceView> instances() {
        List<InstanceView> out = new ArrayList<>();
        for (Instance i : instances.values()) {
            Process p = i.process;
            out.add(new InstanceView(i.id, i.avatar.name(), i.port, i.gpu, i.state.name().toLowerCase(),
                    List.copyOf(i.users), p == null ? -1 : p.pid(), i.log));
        }
        return out;
    }

    /** Starts waiting in line for a slot now. */
    public synchronized int waiting() {
        return waiters.size();
    }

    public Optional<InstanceView> instance(String id) {
        return instances().stream().filter(v -> v.id().equals(id)).findFirst();
    }

    /** Up unless shut down; the detail counts instances against the capacity. */
    @Override
    public HealthStatus check() {
        int ready = 0;
        int starting = 0;
        synchronized (this) {
            if (closed) {
                return HealthStatus.down("shut down");
            }
            for (Instance i : instances.values()) {
                ready += i.state == State.READY ? 1 : 0;
                starting += i.state == State.STARTING ? 1 : 0;
            }
        }
        return HealthStatus.up(ready + " ready, " + starting + " starting, capacity " + config.capacity());
    }

    // ---------------------------------------------------------------- shutdown

    private static AvatarException shuttingDown() {
        return new AvatarException(AvatarException.Kind.SHUTTING_DOWN, "the server is shutting down");
    }

    @Override
    public void close() {
        List<Instance> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(instances.values());
            for (Instance i : all) {
                i.state = State.STOPPING;
            }
            byUser.clear();
            for (Waiter w : waiters) {
                w.result.completeExceptionally(shuttingDown());
            }
            waiters.clear();
        }
        timer.shutdownNow();
        List<Process> processes = new ArrayList<>();
        for (Instance i : all) {
            i.ready.completeExceptionally(shuttingDown());
            if (i.process != null) {
                processes.add(i.process);
            }
        }
        ProcessStopper.stopAll(processes, config.stopGraceMillis());
        control.shutdown();
        storeWriter.shutdown();
        try {
            control.awaitTermination(5, TimeUnit.SECONDS);
            storeWriter.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Instance i : all) {
                i.state = State.STOPPED;
                freeLocked(i);
            }
        }
        logger.info("avatar manager stopped {} instance(s)", all.size());
    }

    /** Whether a port is free to hand out: nothing listens on it now. */
    static final class PortCheck {
        private PortCheck() {}

        static boolean isFree(int port) {
            try (java.net.ServerSocket s = new java.net.ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(port));
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** Does a port answer on one of this machine's addresses other than loopback? */
    static final class Exposure {
        private Exposure() {}

        /** Every {@code address:port} of the range that accepts a connection on a non-loopback local address. */
        static List<String> answering(int first, int last, long timeoutMillis) {
            List<String> out = new ArrayList<>();
            for (java.net.InetAddress a : nonLoopback()) {
                for (int port = first; port <= last; port++) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(a, port), (int) Math.max(1, timeoutMillis));
                        out.add(a.getHostAddress() + ":" + port);
                    } catch (IOException e) {
                        // nothing there: good
                    }
                }
            }
            return out;
        }

        static List<java.net.InetAddress> nonLoopback() {
            List<java.net.InetAddress> out = new ArrayList<>();
            try {
                for (java.net.NetworkInterface nic : java.util.Collections.list(
                        java.net.NetworkInterface.getNetworkInterfaces())) {
                    for (java.net.InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
                        if (!a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                            out.add(a);
                        }
                    }
                }
            } catch (IOException e) {
                return out;
            }
            return out;
        }

        /** The first non-loopback local address on which the port accepts a connection, or null. */
        static String answeringAddress(int port, long timeoutMillis) {
            try {
                for (java.net.NetworkInterface nic : java.util.Collections.list(
                        java.net.NetworkInterface.getNetworkInterfaces())) {
                    for (java.net.InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
                        if (a.isLoopbackAddress() || a.isLinkLocalAddress()) {
                            continue;
                        }
                        try (Socket s = new Socket()) {
                            s.connect(new InetSocketAddress(a, port), (int) Math.min(1000, timeoutMillis));
                            return a.getHostAddress();
                        } catch (IOException e) {
                            // not there: good
                        }
                    }
                }
            } catch (IOException e) {
                return null;
            }
            return null;
        }
    }

    /** The readiness probe: does the port answer an HTTP request at all? */
    static final class ReadinessProbe {
        private ReadinessProbe() {}

        static boolean answers(int port, String path, long timeoutMillis) {
            int timeout = (int) Math.min(Integer.MAX_VALUE, timeoutMillis);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), timeout);
                s.setSoTimeout(timeout);
                OutputStream out = s.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] head = new byte[12];
                int n = 0;
                while (n < head.length) {
                    int r = in.read(head, n, head.length - n);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                return n >= 12 && new String(head, 0, 12, StandardCharsets.US_ASCII).matches("HTTP/1\\.[01] \\d{3}");
            } catch (IOException e) {
                return false;
            }
        }
    }
}

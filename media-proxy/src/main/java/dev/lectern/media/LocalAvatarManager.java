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
        final CompletableFuture<Void> ready = new CompletableFuture<>();
        final Set<String> users = new LinkedHashSet<>();
        volatile State state = State.STARTING;
        volatile Process process;
        long idleSinceMillis;
        boolean crashed;

        Instance(String id, AvatarsConfig.Avatar avatar, int port, String gpu, Path log) {
            this.id = id;
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
            long every = Math.max(100, Math.min(10_000, config.idleStopMillis() / 4));
            timer.scheduleWithFixedDelay(this::reapIdle, every, every, TimeUnit.MILLISECONDS);
        }
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
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(shuttingDown());
            }
            crashedUsers.remove(userId);
            Instance current = byUser.get(userId);
            if (current != null && current.avatar.name().equals(avatarName) && live(current)) {
                chosen = current;
            } else {
                if (current != null) {
                    releaseLocked(userId, current);
                    released = current;
                }
                chosen = shareable(avatar);
                if (chosen == null) {
                    chosen = allocate(avatar);
                    if (chosen == null) {
                        return CompletableFuture.failedFuture(new AvatarException(AvatarException.Kind.NO_CAPACITY,
                                "all avatar slots are in use; try again later"));
                    }
                    isNew = true;
                }
                chosen.users.add(userId);
                byUser.put(userId, chosen);
            }
        }
        if (released != null) {
            logger.info("user {} switched from instance {} to avatar {}", userId, released.id, avatarName);
        }
        Instance instance = chosen;
        boolean created = isNew;
        writeMapping(userId, instance, "starting");
        if (created) {
            launch(instance);
        }
        return instance.ready.thenApply(v -> {
            int connections;
            synchronized (this) {
                connections = instance.users.size();
            }
            writeMapping(userId, instance, "ready");
            return new AvatarAssignment(avatar.name(), instance.id, instance.port, instance.gpu, connections, created);
        });
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
    private Instance allocate(AvatarsConfig.Avatar avatar) {
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
            if (!ports.containsKey(p) && PortCheck.isFree(p)) {
                port = p;
                break;
            }
        }
        if (port < 0) {
            return null;
        }
        String id = avatar.name() + "-" + sequence.incrementAndGet();
        Instance i = new Instance(id, avatar, port, gpu, logDir.resolve(id + ".log"));
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
            if (instance.gpu != null) {
                gpuLoad.merge(instance.gpu, -1, Integer::sum);
            }
        }
    }

    /** Stops instances that have had no users for {@code idleStopMillis}. Runs periodically; public for tests. */
    public void reapIdle() {
        long now = clock.getAsLong();
        List<Instance> idle = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            for (Instance i : instances.values()) {
                if (i.state == State.READY && i.users.isEmpty()
                        && now - i.idleSinceMillis >= config.idleStopMillis()) {
                    i.state = State.STOPPING;
                    idle.add(i);
                }
            }
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

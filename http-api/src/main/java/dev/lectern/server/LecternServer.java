package dev.lectern.server;

import dev.lectern.ai.AiPipeline;
import dev.lectern.ai.objects.LocalObjectStore;
import dev.lectern.ai.objects.ObjectStore;
import dev.lectern.ai.objects.S3ObjectStore;
import dev.lectern.ai.objects.UrlSigner;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ClusterConfig;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.netty.SharedHttpClient;
import dev.lectern.core.config.HttpConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.config.StorageConfig;
import dev.lectern.core.health.HealthCheck;
import dev.lectern.core.netty.EventLoops;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.RedisEphemeralStore;
import dev.lectern.signaling.cluster.ClusterBus;
import dev.lectern.signaling.cluster.LocalClusterBus;
import dev.lectern.signaling.cluster.RedisClusterBus;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.http.BlockingExecutor;
import dev.lectern.http.HttpApp;
import dev.lectern.http.HttpDecorator;
import dev.lectern.http.Router;
import dev.lectern.chat.ChatRepository;
import dev.lectern.chat.SqlChatStore;
import dev.lectern.avatars.AddedAvatarRepository;
import dev.lectern.avatars.AvatarCatalogue;
import dev.lectern.companions.CompanionPersonas;
import dev.lectern.media.livetalking.LiveTalkingClient;
import dev.lectern.voice.AvatarVoice;
import dev.lectern.companions.CompanionCatalogFile;
import dev.lectern.companions.CompanionRepository;
import dev.lectern.http.api.ChatHistoryApi;
import dev.lectern.http.api.CompanionsApi;
import dev.lectern.http.api.ConsoleApi;
import dev.lectern.http.api.DocsApi;
import dev.lectern.http.api.VideoRoomsApi;
import dev.lectern.rooms.RetentionPurger;
import dev.lectern.rooms.RoomRepository;
import dev.lectern.rooms.RoomTutor;
import dev.lectern.rooms.SqlRoomEventSink;
import dev.lectern.http.api.AvatarApi;
import dev.lectern.http.chat.ChatApi;
import dev.lectern.http.api.HealthApi;
import dev.lectern.media.AvatarService;
import dev.lectern.media.proxy.internal.BackendPool;
import dev.lectern.http.api.MetricsApi;
import dev.lectern.http.api.ObjectsApi;
import dev.lectern.http.api.OpenApiApi;
import dev.lectern.http.api.UserFilesApi;
import dev.lectern.http.api.WebRtcConfigApi;
import dev.lectern.http.multipart.MultipartLimits;
import dev.lectern.files.UploadService;
import dev.lectern.files.UserFileRepository;
import dev.lectern.signaling.ice.IceServersService;
import dev.lectern.signaling.room.IceServers;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every service from the config, binds the HTTP port and the signaling port (one
 * listener when both numbers are equal), and shuts down gracefully.
 */
public final class LecternServer implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(LecternServer.class);

    private final ServerConfig config;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ChannelGroup channels = new DefaultChannelGroup("lectern", GlobalEventExecutor.INSTANCE);
    private final List<Channel> listeners = new ArrayList<>();
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private final List<Runnable> drainHooks = new ArrayList<>();
    private final HttpApp app;
    private final PrometheusMeterRegistry meters;
    private final AccountsModule accounts;
    private final Signaling signaling;
    private final ClusterBus clusterBus;
    private final ObjectStore objects;
    private volatile boolean closed;

    private LecternServer(ServerConfig config, Secrets secrets, boolean conformance, TokenVerifier tokensOverride) {
        this.config = config;
        HttpConfig http = config.http();
        this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ClassLoaderMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(meters);
        closeables.push(gc);
        meters.gauge("lectern.connections.open", channels, ChannelGroup::size);

        BlockingExecutor blocking = new BlockingExecutor(http.blockingThreads(), http.blockingQueueSize());
        closeables.push(blocking);

        List<HealthCheck> health = new ArrayList<>();
        List<HttpDecorator> decorators = new ArrayList<>();
        Clock clock = Clock.systemUTC();
        this.bossGroup = EventLoops.newGroup(1, "lectern-accept");
        // Nothing blocks an event loop, so loops beyond one per core only add context switches (Netty's own default
        // is two per core).
        int ioThreads = http.ioThreads() > 0 ? http.ioThreads() : Runtime.getRuntime().availableProcessors();
        this.workerGroup = EventLoops.newGroup(ioThreads, "lectern-io");
        try {
            this.accounts = new AccountsModule(config, secrets, blocking, closeables, tokensOverride);
            health.addAll(accounts.healthChecks());
            decorators.addAll(accounts.decorators());

            IceServersService ice = new IceServersService(config.ice(), secrets, clock);
            CompanionRepository companions = new CompanionRepository(accounts.sql, clock);
            int seeded = companions.seed(CompanionCatalogFile.load(Path.of(config.history().companionsFile())));
            logger.info("companion catalogue {}: {} entries added or updated", config.history().companionsFile(), seeded);
            RoomRepository rooms = new RoomRepository(accounts.sql);
            SqlRoomEventSink transcripts = new SqlRoomEventSink(rooms, 10_000, meters);
            closeables.push(transcripts);
            closeables.push(new RetentionPurger(rooms, Duration.ofDays(config.history().retentionDays()),
                    Duration.ofMinutes(config.history().purgeIntervalMinutes()), blocking, clock));
            // the process's one general HTTP client (TTS, speech-to-text, avatars); closed after everything using it
            SharedHttpClient outbound = SharedHttpClient.create("lectern-http",
                    Math.max(2, Runtime.getRuntime().availableProcessors() / 2), Duration.ofMillis(
                            Math.max(config.ai().connectTimeoutMillis(), config.avatars().connectTimeoutMillis())));
            closeables.push(outbound);
            AvatarService avatars = AvatarService.create(config.avatars(), Path.of(config.storage().dataDir()),
                    accounts.ephemeral, blocking, outbound.client());
            closeables.push(avatars);
            health.add(avatars);
            BackendPool avatarBackends = new BackendPool(config.avatars().maxIdleBackendConnections(),
                    config.avatars().connectTimeoutMillis());
            closeables.push(avatarBackends);

            LocalObjectStore localObjects = new LocalObjectStore(Path.of(config.storage().dataDir()).resolve("objects"),
                    new UrlSigner(objectSigningKey(secrets, config.storage().objects().signingKeyEnv())),
                    ObjectsApi.PREFIX, clock);
            this.objects = objectStore(config.storage().objects().s3(), secrets, localObjects);
            closeables.push(objects);
            LiveTalkingClient liveTalking = new LiveTalkingClient(outbound.client(),
                    Duration.ofMillis(config.avatars().offerTimeoutMillis()),
                    Duration.ofMillis(config.avatars().requestTimeoutMillis()));
            ChatRepository chats = new ChatRepository(accounts.sql, clock);
            UserFileRepository userFiles = new UserFileRepository(accounts.sql, clock);
            AiPipeline ai = new AiPipeline(config.ai(), secrets, accounts.ephemeral, new SqlChatStore(chats),
                    new CompanionPersonas(companions, config.ai().persona()),
                    new AvatarVoice(avatars, liveTalking, accounts.ephemeral, ChatHistoryApi::avatarSessionKey, blocking),
                    blocking, objects, Duration.ofSeconds(config.storage().objects().urlTtlSeconds()),
                    Path.of(config.storage().dataDir()), userFiles, outbound.client());
            closeables.push(ai);
            ai.purgeObjectsEvery(Duration.ofHours(1), Duration.ofSeconds(config.storage().objects().maxAgeSeconds()));

            Router.Builder routes = Router.builder();
            accounts.registerRoutes(routes);
            new ObjectsApi(localObjects, clock).register(routes);
            new ChatApi(ai, blocking, http.maxContentBytes(), config.ai().sseKeepAliveMillis(), meters).register(routes);
            Path spool = Path.of(config.storage().dataDir()).resolve("tmp").resolve("uploads");
            UploadService.sweepSpool(spool);
            new UserFilesApi(new UploadService(userFiles, chats, objects, ai.retrieval()), userFiles,
                    MultipartLimits.oneFile(config.uploads().maxFileBytes(), config.uploads().maxParts(), spool),
                    blocking).register(routes);
            new HealthApi(health, blocking, BuildInfo.version()).register(routes);
            new MetricsApi(meters).register(routes);
            new WebRtcConfigApi(ice).register(routes);
            new CompanionsApi(companions).register(routes);
            new VideoRoomsApi(rooms, companions, accounts.ephemeral, ice, config.history(), this::signalingPort,
                    this::onlineUsers, () -> transcripts.awaitWritten(Duration.ofSeconds(5)), clock).register(routes);
            new ChatHistoryApi(chats, companions, accounts.ephemeral,
                    Duration.ofSeconds(config.history().roomLiveTtlSeconds())).register(routes);
            AvatarCatalogue avatarCatalogue = new AvatarCatalogue(config.avatars(),
                    new AddedAvatarRepository(accounts.sql, clock), objects, accounts.ephemeral);
            new AvatarApi(config.avatars(), avatars, avatarCatalogue, avatarBackends, new MultipartLimits(
                    config.uploads().maxFileBytes(), 2 * config.uploads().maxFileBytes() + 1024 * 1024,
                    config.uploads().maxParts(), spool), blocking).register(routes);
            new DocsApi().register(routes);
            new ConsoleApi(config.storage().objects().s3()).register(routes);
            OpenApiApi openApi = new OpenApiApi(BuildInfo.version());
            openApi.register(routes);
            Router router = routes.build();
            openApi.document(router);

            this.app = new HttpApp(http, router, decorators, blocking, meters);
            RoomTutor tutor = new RoomTutor(transcripts, rooms, ai.conversations(), accounts.ephemeral, blocking,
                    Duration.ofSeconds(config.history().roomLiveTtlSeconds()));
            ClusterBus bus = clusterBus(config, accounts.ephemeral, workerGroup);
            this.clusterBus = bus;
            closeables.push(bus);
            if (bus instanceof HealthCheck check) {
                health.add(check);
            }
            if (bus instanceof RedisClusterBus redisBus) {
                meters.more().counter("lectern.cluster.publish_dropped", List.of(), redisBus, RedisClusterBus::dropped);
                meters.more().counter("lectern.cluster.out_of_order", List.of(), redisBus, RedisClusterBus::outOfOrder);
            }
            this.signaling = conformance ? Signaling.conformance(config) : Signaling.production(config,
                    accounts.verifier, tutor, IceServers.of(ice), bus, meters);
            if (signaling.service() != null) {
                tutor.attach(signaling.service().rooms()::broadcast);
            }
            if (signaling.service() != null) {
                closeables.push(new AvatarCrashNotifier(accounts.ephemeral, signaling.service()));
            }
        } catch (RuntimeException e) {
            closeAll();
            bossGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workerGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        drainHooks.add(signaling::closeAll);
        logger.atInfo()
                .addKeyValue("config", ConfigLoader.describe(config))
                .addKeyValue("secrets", secrets.describe())
                .addKeyValue("transport", EventLoops.transportName())
                .addKeyValue("version", BuildInfo.version())
                .log("effective configuration");
    }

    /** Builds and binds everything; on failure releases what was built and throws {@link StartupException}. */
    public static LecternServer start(ServerConfig config, Map<String, String> env) {
        return start(config, env, false, null);
    }

    /** As {@link #start(ServerConfig, Map)} with the given token verifier instead of the JWT one (for tests). */
    public static LecternServer start(ServerConfig config, Map<String, String> env, TokenVerifier tokens) {
        return start(config, env, false, tokens);
    }

    /** With {@code conformance}: the fixture the official Socket.IO / Engine.IO suites expect, instead of rooms. */
    static LecternServer start(ServerConfig config, Map<String, String> env, boolean conformance) {
        return start(config, env, conformance, null);
    }

    private static LecternServer start(ServerConfig config, Map<String, String> env, boolean conformance,
                                       TokenVerifier tokensOverride) {
        LecternServer server = new LecternServer(config, new Secrets(env), conformance, tokensOverride);
        try {
            server.bind();
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private void bind() {
        HttpConfig http = config.http();
        int apiPort = http.port();
        int sigPort = config.signaling().port();
        Supplier<ChannelHandler> signalingHandler = signaling.handlers();
        if (apiPort == sigPort && apiPort != 0) {
            listeners.add(bindPort("http.port/signaling.port", apiPort, signalingHandler));
        } else {
            listeners.add(bindPort("http.port", apiPort,
                    config.signaling().serveOnHttpPort() ? signalingHandler : null));
            listeners.add(bindPort("signaling.port", sigPort, signalingHandler));
        }
        logger.atInfo().addKeyValue("httpPort", httpPort()).addKeyValue("signalingPort", signalingPort())
                .log("Lectern {} listening on http {} and signaling {}", BuildInfo.version(), httpPort(), signalingPort());
    }

    private Channel bindPort(String key, int port, Supplier<ChannelHandler> signaling) {
        HttpConfig http = config.http();
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(EventLoops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        http.writeBufferLowWaterMarkBytes(), http.writeBufferHighWaterMarkBytes()))
                .childHandler(new LecternInitializer(http, app, signaling, channels));
        try {
            return b.bind(new InetSocketAddress(http.host(), port)).sync().channel();
        } catch (Exception e) {
            Throwable cause = e;
            if (cause instanceof BindException || (cause.getMessage() != null
                    && cause.getMessage().toLowerCase().contains("address already in use"))) {
                throw new StartupException(key + ": port " + port + " on " + http.host() + " is already in use", e);
            }
            throw new StartupException(key + ": cannot listen on " + http.host() + ":" + port + ": " + e, e);
        }
    }

    /** The single-node bus, or rooms across nodes over the ephemeral store's Redis ({@code cluster.mode: redis}). */
    private static ClusterBus clusterBus(ServerConfig config, EphemeralStore ephemeral, EventLoopGroup loops) {
        ClusterConfig cc = config.cluster();
        String nodeId = cc.nodeId().isEmpty() ? EngineIoServer.newId() : cc.nodeId();
        if (!cc.redis()) {
            return new LocalClusterBus(nodeId);
        }
        if (!(ephemeral instanceof RedisEphemeralStore redis)) {
            throw new StartupException("cluster.mode: redis needs storage.redis.url (the Redis the nodes share)", null);
        }
        // its pub/sub connections on one of the server's loops: relays sent or received there need no thread hop
        return new RedisClusterBus(redis, loops.next(), nodeId, cc.heartbeatIntervalMillis(), cc.heartbeatTtlMillis(),
                cc.publishQueueLimit());
    }

    /** The URL-signing key from the environment, or a random one for this process. */
    private static byte[] objectSigningKey(Secrets secrets, String env) {
        return secrets.get(env).map(Secret::bytes).orElseGet(() -> {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            return random;
        });
    }

    /** The local directory, or an S3-compatible store when {@code storage.objects.s3.bucket} is set. */
    private static ObjectStore objectStore(StorageConfig.S3 s3, Secrets secrets, LocalObjectStore local) {
        if (!s3.enabled()) {
            return local;
        }
        String id = secrets.get(s3.accessKeyEnv()).map(Secret::reveal).orElseThrow(() -> new StartupException(
                "storage.objects.s3: environment variable " + s3.accessKeyEnv() + " is not set", null));
        String key = secrets.get(s3.secretKeyEnv()).map(Secret::reveal).orElseThrow(() -> new StartupException(
                "storage.objects.s3: environment variable " + s3.secretKeyEnv() + " is not set", null));
        S3ObjectStore store = new S3ObjectStore(s3.endpoint().isEmpty() ? null : URI.create(s3.endpoint()),
                s3.region(), s3.bucket(), s3.pathStyle(), id, key, s3.maxAttempts(), Clock.systemUTC());
        try {
            store.ensureBucket();
        } catch (RuntimeException e) {
            logger.warn("object store bucket {} is not reachable yet: {}", s3.bucket(), e.getMessage());
        }
        return store;
    }

    /** The object store (TTS audio), for components and tests that put objects. */
    public ObjectStore objects() {
        return objects;
    }

    public int httpPort() {
        return ((InetSocketAddress) listeners.get(0).localAddress()).getPort();
    }

    public int signalingPort() {
        return ((InetSocketAddress) listeners.get(listeners.size() - 1).localAddress()).getPort();
    }

    public ServerConfig config() {
        return config;
    }

    public HttpApp app() {
        return app;
    }

    /** Who is connected to a room now, as signaling sees it. */
    private List<String> onlineUsers(String roomId) {
        return signaling == null || signaling.service() == null ? List.of() : signaling.service().rooms().usersIn(roomId);
    }

    /** The signaling side (rooms, counters), for tests and benchmarks. */
    public Signaling signaling() {
        return signaling;
    }

    /** The one token check every entry point (REST, SSE, Socket.IO, /ws, the avatar proxy) uses. */
    public TokenVerifier tokenVerifier() {
        return accounts.verifier;
    }

    /** Ephemeral state shared by the components (in-process or Redis). */
    public EphemeralStore ephemeralStore() {
        return accounts.ephemeral;
    }

    private void closeAll() {
        while (!closeables.isEmpty()) {
            try {
                closeables.pop().close();
            } catch (Exception e) {
                logger.warn("close failed", e);
            }
        }
    }

    /**
     * Graceful shutdown: stop accepting, let in-flight requests and streams finish within
     * {@code http.shutdownGraceMillis}, close long-lived connections properly, then stop the event loops.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long graceMillis = config.http().shutdownGraceMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
        for (Channel l : listeners) {
            l.close().awaitUninterruptibly();
        }
        if (app != null) {
            app.startDraining();
        }
        for (Runnable hook : drainHooks) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                logger.warn("shutdown hook failed", e);
            }
        }
        while (app != null && app.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (app != null && app.inFlight() > 0) {
            logger.warn("shutdown grace period over with {} requests still in flight", app.inFlight());
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        try {
            clusterBus.close(); // on the event loops: before they stop, with the departures just published
        } catch (Exception e) {
            logger.warn("cluster bus close failed", e);
        }
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        bossGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workerGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        closeAll();
        meters.close();
        logger.info("Lectern stopped");
    }
}

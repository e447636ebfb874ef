package dev.lectern.server;

import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.HttpConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.health.HealthCheck;
import dev.lectern.core.netty.EventLoops;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.http.HttpApp;
import dev.lectern.http.Router;
import dev.lectern.http.api.ConsoleApi;
import dev.lectern.http.api.DocsApi;
import dev.lectern.http.api.HealthApi;
import dev.lectern.http.api.MetricsApi;
import dev.lectern.http.api.OpenApiApi;
import dev.lectern.jobs.JobEngine;
import dev.lectern.signaling.transport.SignalingInitializer;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds the features from the config, one wiring module each (the stores once, in
 * {@link InfrastructureModule}, then accounts, avatars, tutoring and signaling, each handed what it uses), collects
 * their routes and health checks, binds the HTTP port and the signaling port (one listener when both numbers are
 * equal), and shuts down gracefully.
 */
public final class LecternServer implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(LecternServer.class);

    private final ServerConfig config;
    /** {@code /metrics} wants it as a bearer token when set (LECTERN_METRICS_TOKEN). */
    private String metricsToken;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ChannelGroup channels = new DefaultChannelGroup("lectern", GlobalEventExecutor.INSTANCE);
    private final List<Channel> listeners = new ArrayList<>();
    private final Closeables closeables = new Closeables();
    private final List<Runnable> drainHooks = new ArrayList<>();
    private final HttpApp app;
    private final PrometheusMeterRegistry meters;
    private final InfrastructureModule infra;
    private final AccountsModule accounts;
    private final SignalingModule signaling;
    private final JobsModule jobs;
    private volatile boolean closed;

    private LecternServer(ServerConfig config, Secrets secrets, boolean conformance, TokenVerifier tokensOverride) {
        this.config = config;
        HttpConfig http = config.http();
        this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ClassLoaderMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        closeables.add(new JvmGcMetrics()).bindTo(meters);
        meters.gauge("lectern.connections.open", channels, ChannelGroup::size);

        this.bossGroup = EventLoops.newGroup(1, "lectern-accept");
        // Nothing blocks an event loop, so more loops only add context switches and hand-offs between threads
        // (Netty's own default is two per core): half the cores unless configured (HttpConfig.defaultIoThreads).
        this.workerGroup = EventLoops.newGroup(http.eventLoopThreads(), "lectern-io");
        try {
            // each module is handed what it uses; the stores are built once, by the infrastructure
            this.infra = new InfrastructureModule(config, secrets, closeables);
            this.accounts = new AccountsModule(config, secrets, infra, tokensOverride);
            AvatarsModule avatars = new AvatarsModule(config, infra, closeables);
            TutoringModule tutoring = new TutoringModule(config, secrets, infra, avatars, meters, closeables,
                    this::signalingPort, this::onlineUsers);
            this.signaling = new SignalingModule(config, conformance, accounts.verifier(), accounts.guestCookies(),
                    tutoring, infra, workerGroup, meters, closeables);
            this.jobs = new JobsModule(config, secrets, infra, meters, closeables, tutoring.ai());
            if (signaling.signaling().service() != null) {
                signaling.signaling().service().addEvents(jobs.projectSubscriptions());
            }
            this.metricsToken = secrets.get("LECTERN_METRICS_TOKEN").map(Secret::reveal).orElse(null);
            CoursesModule courses = new CoursesModule(config, secrets, infra, tutoring.ai(), jobs.engine(),
                    accounts.oidcUsers(), closeables);
            ExamsModule exams = new ExamsModule(config.exams(), infra, jobs, tutoring.models(), courses.examCourses());
            Router router = router(List.of(infra, accounts, tutoring, avatars, signaling, jobs, exams, courses),
                    infra.blocking);
            this.app = new HttpApp(http, router, accounts.decorators(), infra.blocking, meters);
        } catch (RuntimeException e) {
            closeables.closeAll();
            bossGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workerGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        drainHooks.add(signaling.signaling()::closeAll);
        logger.atInfo()
                .addKeyValue("config", ConfigLoader.describe(config))
                .addKeyValue("secrets", secrets.describe())
                .addKeyValue("transport", EventLoops.transportName())
                .addKeyValue("version", BuildInfo.version())
                .log("effective configuration");
    }

    /** Every feature's routes, then the server's own: health, metrics, API docs, the web console, OpenAPI. */
    private Router router(List<FeatureModule> features, Executor blocking) {
        Router.Builder routes = Router.builder();
        List<HealthCheck> health = new ArrayList<>();
        for (FeatureModule feature : features) {
            feature.registerRoutes(routes);
            health.addAll(feature.healthChecks());
        }
        new HealthApi(health, blocking, BuildInfo.version()).register(routes);
        new MetricsApi(meters, metricsToken).register(routes);
        new DocsApi().register(routes);
        new ConsoleApi(config.storage().objects().s3()).register(routes);
        OpenApiApi openApi = new OpenApiApi(BuildInfo.version());
        openApi.register(routes);
        Router router = routes.build();
        openApi.document(router);
        return router;
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
        SignalingInitializer initializer = signaling.signaling().initializer(); // @Sharable: one for every connection
        Supplier<ChannelHandler> signalingHandler = () -> initializer;
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

    /** The object store (TTS audio), for components and tests that put objects. */
    public ObjectStore objects() {
        return infra.objects;
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
        return signaling == null ? List.of() : signaling.onlineUsers(roomId);
    }

    /** The signaling side (rooms, counters), for tests and benchmarks. */
    public Signaling signaling() {
        return signaling.signaling();
    }

    /** The job engine, for tests that register kinds of their own. */
    JobEngine jobEngine() {
        return jobs.engine();
    }

    /** Ephemeral state shared by the components (in-process or Redis). */
    public EphemeralStore ephemeralStore() {
        return infra.ephemeral;
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
            signaling.bus().close(); // on the event loops: before they stop, with the departures just published
        } catch (Exception e) {
            logger.warn("cluster bus close failed", e);
        }
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        bossGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workerGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        closeables.closeAll();
        meters.close();
        logger.info("Lectern stopped");
    }
}

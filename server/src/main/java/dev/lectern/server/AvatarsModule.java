package dev.lectern.server;

import dev.lectern.avatars.AddedAvatarRepository;
import dev.lectern.avatars.AvatarCatalogue;
import dev.lectern.avatars.AvatarVoice;
import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.config.UploadsConfig;
import dev.lectern.core.health.HealthCheck;
import dev.lectern.http.Router;
import dev.lectern.http.api.AvatarApi;
import dev.lectern.http.api.ChatHistoryApi;
import dev.lectern.http.multipart.MultipartLimits;
import dev.lectern.media.proxy.internal.AvatarProxy;
import dev.lectern.media.AvatarService;
import dev.lectern.media.livetalking.LiveTalkingClient;
import java.time.Duration;
import java.util.List;

/**
 * The avatars feature's wiring: the avatar instances (processes, ports, sharing, health), the connection pool of the
 * proxy to them, the LiveTalking client, the catalogue of avatars and the avatar's voice (the sentences the AI tutor
 * speaks, sent to the user's avatar). Routes: the avatar API and its proxy; health: the avatar instances.
 */
final class AvatarsModule implements FeatureModule {
    private static final org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(AvatarsModule.class);
    private final AvatarsConfig config;
    private final UploadsConfig uploads;
    private final InfrastructureModule infra;
    private final AvatarService avatars;
    private final AvatarProxy backends;
    private final AvatarCatalogue catalogue;
    private final AvatarVoice voice;

    AvatarsModule(ServerConfig config, InfrastructureModule infra, Closeables closeables) {
        this.config = config.avatars();
        this.uploads = config.uploads();
        this.infra = infra;
        this.avatars = closeables.add(AvatarService.create(this.config, infra.dataDir, infra.ephemeral,
                infra.blocking, infra.outbound.client()));
        this.backends = closeables.add(new AvatarProxy(this.config.maxIdleBackendConnections(),
                this.config.connectTimeoutMillis()));
        LiveTalkingClient liveTalking = new LiveTalkingClient(infra.outbound.client(),
                Duration.ofMillis(this.config.offerTimeoutMillis()),
                Duration.ofMillis(this.config.requestTimeoutMillis()));
        this.catalogue = new AvatarCatalogue(this.config, new AddedAvatarRepository(infra.sql, infra.clock),
                infra.objects, infra.ephemeral);
        this.voice = new AvatarVoice(avatars, liveTalking, infra.ephemeral, ChatHistoryApi::avatarSessionKey,
                infra.blocking);
        if (this.config.addedMaxAgeDays() > 0) {
            purgeAddedEveryHour(Duration.ofDays(this.config.addedMaxAgeDays()), closeables);
        }
    }

    /** Added avatars older than {@code avatars.addedMaxAgeDays} are deleted, hourly, on the blocking executor. */
    private void purgeAddedEveryHour(Duration maxAge, Closeables closeables) {
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "lectern-avatar-purge");
                    t.setDaemon(true);
                    return t;
                });
        AutoCloseable stop = timer::shutdownNow;
        closeables.add(stop);
        timer.scheduleWithFixedDelay(() -> {
            try {
                infra.blocking.execute(() -> {
                    try {
                        catalogue.purgeOlderThan(maxAge, infra.clock.millis());
                    } catch (RuntimeException e) {
                        logger.warn("added-avatar purge failed: {}", e.toString());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                logger.warn("added-avatar purge skipped: blocking executor saturated");
            }
        }, 1, 60, java.util.concurrent.TimeUnit.MINUTES);
    }

    /** Where the AI tutor's sentences go to be spoken by the user's avatar. */
    AvatarVoice voice() {
        return voice;
    }

    @Override
    public void registerRoutes(Router.Builder routes) {
        new AvatarApi(config, avatars, catalogue, backends, new MultipartLimits(uploads.maxFileBytes(),
                2 * uploads.maxFileBytes() + 1024 * 1024, uploads.maxParts(), infra.uploadSpool), infra.blocking)
                .register(routes);
    }

    @Override
    public List<HealthCheck> healthChecks() {
        return List.of(avatars);
    }
}

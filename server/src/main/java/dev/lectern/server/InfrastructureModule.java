package dev.lectern.server;

import dev.lectern.core.config.CoursesConfig;
import dev.lectern.core.config.HttpConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.config.StorageConfig;
import dev.lectern.core.health.HealthCheck;
import dev.lectern.core.netty.SharedHttpClient;
import dev.lectern.core.objects.LiveObjects;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.objects.RoutedObjectStore;
import dev.lectern.core.objects.S3ObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.RedisEphemeralStore;
import dev.lectern.core.store.StoreUnavailableException;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.http.BlockingExecutor;
import dev.lectern.http.Router;
import dev.lectern.http.api.ObjectsApi;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's wiring: builds, once, what every feature shares and is handed from here — the blocking executor, the
 * ephemeral store (in-process or Redis), the SQL database (SQLite or PostgreSQL) and the object store (a local
 * directory, or S3 when {@code storage.objects.s3.bucket} is set) and the process's one general HTTP client (TTS,
 * speech-to-text, avatar processes, the external avatar manager). Its routes serve the local store's signed URLs;
 * its health checks are the two stores'.
 */
final class InfrastructureModule implements FeatureModule {
    private static final Logger logger = LoggerFactory.getLogger(InfrastructureModule.class);

    final Clock clock = Clock.systemUTC();
    final Path dataDir;
    /** Where multipart uploads are spooled while they arrive. */
    final Path uploadSpool;
    final BlockingExecutor blocking;
    final EphemeralStore ephemeral;
    final SqlDatabase sql;
    /** The local store: the one {@code ObjectsApi} serves signed URLs of. */
    private final LocalObjectStore localObjects;
    /** Where objects live: {@link #localObjects}, or S3. */
    final ObjectStore objects;
    /** Objects still being written (speech while it is synthesised), served by {@code ObjectsApi} as they grow. */
    final LiveObjects live;
    /** The general HTTP client; closed after every feature that uses it (they are built, and closed, later). */
    final SharedHttpClient outbound;

    InfrastructureModule(ServerConfig config, Secrets secrets, Closeables closeables) {
        HttpConfig http = config.http();
        StorageConfig storage = config.storage();
        this.dataDir = Path.of(storage.dataDir());
        this.uploadSpool = dataDir.resolve("tmp").resolve("uploads");
        this.blocking = closeables.add(new BlockingExecutor(http.blockingThreads(), http.blockingQueueSize()));
        this.ephemeral = closeables.add(storage.redis().enabled()
                ? new RedisEphemeralStore(storage.redis(), secrets.get("LECTERN_REDIS_PASSWORD").map(Secret::reveal)
                        .orElse(null))
                : new InMemoryEphemeralStore());
        try {
            this.sql = closeables.add(new SqlDatabase(storage,
                    secrets.get("LECTERN_SQL_PASSWORD").map(Secret::reveal).orElse(null)));
        } catch (StoreUnavailableException e) {
            throw new StartupException("storage.sql.url: " + e.getMessage(), e);
        }
        this.localObjects = new LocalObjectStore(dataDir.resolve("objects"),
                new UrlSigner(objectSigningKey(secrets, storage.objects().signingKeyEnv())), ObjectsApi.PREFIX, clock);
        this.objects = closeables.add(objectStore(storage.objects().s3(), secrets, localObjects, config.courses()));
        this.live = new LiveObjects(objects, localObjects.signer(), ObjectsApi.PREFIX, clock,
                dataDir.resolve("tmp").resolve("live"), config.ai().tts().maxClipBytes(),
                // in a cluster a live clip's URL may reach another node: it waits there until the clip is stored
                "redis".equals(config.cluster().mode()) ? Duration.ofMillis(config.ai().tts().timeoutMillis())
                        : Duration.ZERO);
        live.sweepSpool();
        this.outbound = closeables.add(SharedHttpClient.create("lectern-http",
                Math.max(2, Runtime.getRuntime().availableProcessors() / 2), Duration.ofMillis(
                        Math.max(config.ai().connectTimeoutMillis(), config.avatars().connectTimeoutMillis()))));
    }

    @Override
    public void registerRoutes(Router.Builder routes) {
        new ObjectsApi(localObjects, objects, live, blocking, clock).register(routes);
    }

    /** {@code ephemeralStore} and {@code sqlStore} in {@code /api/health}, each naming its engine and any outage. */
    @Override
    public List<HealthCheck> healthChecks() {
        return List.of(check("ephemeralStore", ephemeral.kind(), ephemeral::ping),
                check("sqlStore", sql.kind(), sql::ping));
    }

    private static HealthCheck check(String name, String kind, Runnable ping) {
        return new HealthCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public HealthStatus check() {
                try {
                    ping.run();
                    return HealthStatus.up(kind);
                } catch (StoreUnavailableException e) {
                    return HealthStatus.down(e.getMessage());
                } catch (RuntimeException e) {
                    return HealthStatus.down(kind + ": " + e.getClass().getSimpleName());
                }
            }
        };
    }

    /** The URL-signing key from the environment, or a random one for this process. */
    private static byte[] objectSigningKey(Secrets secrets, String env) {
        return secrets.get(env).map(Secret::bytes).orElseGet(() -> {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            return random;
        });
    }

    /**
     * The local directory, or an S3-compatible store when {@code storage.objects.s3.bucket} is set; with
     * {@code storage.objects.s3.buckets}, course recordings and course content go to buckets of their own.
     */
    private static ObjectStore objectStore(StorageConfig.S3 s3, Secrets secrets, LocalObjectStore local,
                                           CoursesConfig courses) {
        if (!s3.enabled()) {
            return local;
        }
        String id = secrets.get(s3.accessKeyEnv()).map(Secret::reveal).orElseThrow(() -> new StartupException(
                "storage.objects.s3: environment variable " + s3.accessKeyEnv() + " is not set", null));
        String key = secrets.get(s3.secretKeyEnv()).map(Secret::reveal).orElseThrow(() -> new StartupException(
                "storage.objects.s3: environment variable " + s3.secretKeyEnv() + " is not set", null));
        Map<String, S3ObjectStore> byBucket = new HashMap<>();
        S3ObjectStore store = s3Store(s3, s3.bucket(), id, key, byBucket);
        Map<String, ObjectStore> routes = new HashMap<>();
        if (!s3.buckets().audio().isEmpty()) {
            routes.put(courses.audioBucket(), s3Store(s3, s3.buckets().audio(), id, key, byBucket));
        }
        if (!s3.buckets().content().isEmpty()) {
            routes.put(courses.contentBucket(), s3Store(s3, s3.buckets().content(), id, key, byBucket));
        }
        return routes.isEmpty() ? store : new RoutedObjectStore(store, routes);
    }

    /** The store of one S3 bucket (one per bucket name), created when missing. */
    private static S3ObjectStore s3Store(StorageConfig.S3 s3, String bucket, String id, String key,
                                         Map<String, S3ObjectStore> byBucket) {
        return byBucket.computeIfAbsent(bucket, b -> {
            S3ObjectStore store = new S3ObjectStore(s3.endpoint().isEmpty() ? null : URI.create(s3.endpoint()),
                    s3.region(), b, s3.pathStyle(), id, key, s3.maxAttempts(), Clock.systemUTC());
            try {
                store.ensureBucket();
            } catch (RuntimeException e) {
                logger.warn("object store bucket {} is not reachable yet: {}", b, e.getMessage());
            }
            return store;
        });
    }
}

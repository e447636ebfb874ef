package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkNotBlank;
import static dev.lectern.core.config.Checks.checkRange;

import java.net.URI;
import java.net.URISyntaxException;

/** Where state lives: the data directory (embedded defaults), Redis for ephemeral state, the SQL database, objects. */
public record StorageConfig(String dataDir, Redis redis, Sql sql, Objects objects) {
    public StorageConfig {
        checkNotBlank(dataDir, "storage.dataDir");
        if (redis == null || sql == null || objects == null) {
            throw new ConfigException("storage: sections redis, sql and objects are required");
        }
    }

    /**
     * Ephemeral state (token allow-list, rate limits, codes, pub/sub). An empty {@code url} keeps it in this process;
     * {@code redis://host:port[/db]} or {@code rediss://…} uses Redis. The password comes from
     * {@code LECTERN_REDIS_PASSWORD}, never from the URL.
     */
    public record Redis(String url, String keyPrefix, int poolSize, int connectTimeoutMillis, int socketTimeoutMillis) {
        public Redis {
            url = url == null ? "" : url.trim();
            if (!url.isEmpty()) {
                try {
                    URI u = new URI(url);
                    if (!"redis".equals(u.getScheme()) && !"rediss".equals(u.getScheme()) || u.getHost() == null) {
                        throw new ConfigException("storage.redis.url: " + url
                                + " (expected: empty, redis://host:port[/db] or rediss://host:port[/db])");
                    }
                    String path = u.getPath() == null ? "" : u.getPath();
                    if (!path.isEmpty() && !path.matches("/\\d{0,2}")) {
                        throw new ConfigException("storage.redis.url: database must be a number, e.g. redis://host:6379/0");
                    }
                    if (u.getUserInfo() != null) {
                        throw new ConfigException("storage.redis.url: must not hold credentials;"
                                + " set LECTERN_REDIS_PASSWORD instead");
                    }
                } catch (URISyntaxException e) {
                    throw new ConfigException("storage.redis.url: not a URI: " + e.getMessage());
                }
            }
            if (keyPrefix == null) {
                throw new ConfigException("storage.redis.keyPrefix: missing (use \"\" for none)");
            }
            checkRange(poolSize, 1, 1024, "storage.redis.poolSize");
            checkRange(connectTimeoutMillis, 1, 60_000, "storage.redis.connectTimeoutMillis");
            checkRange(socketTimeoutMillis, 1, 60_000, "storage.redis.socketTimeoutMillis");
        }

        public boolean enabled() {
            return !url.isEmpty();
        }
    }

    /**
     * Durable records. An empty {@code url} uses the SQLite file {@code lectern.db} under the data directory;
     * {@code jdbc:postgresql://host:port/db} uses PostgreSQL (password from {@code LECTERN_SQL_PASSWORD}).
     */
    public record Sql(String url, String user, int poolSize, int connectTimeoutMillis) {
        public Sql {
            url = url == null ? "" : url.trim();
            if (!url.isEmpty() && !url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:sqlite:")) {
                throw new ConfigException("storage.sql.url: " + url
                        + " (expected: empty for SQLite under storage.dataDir, jdbc:postgresql://… or jdbc:sqlite:…)");
            }
            if (url.contains("password=")) {
                throw new ConfigException("storage.sql.url: must not hold a password; set LECTERN_SQL_PASSWORD instead");
            }
            if (user == null) {
                throw new ConfigException("storage.sql.user: missing (use \"\" for none)");
            }
            checkRange(poolSize, 1, 512, "storage.sql.poolSize");
            checkRange(connectTimeoutMillis, 250, 60_000, "storage.sql.connectTimeoutMillis");
        }

        public boolean postgres() {
            return url.startsWith("jdbc:postgresql:");
        }
    }

    /** The object store (TTS audio, uploads): a directory under dataDir served through signed, expiring URLs. */
    public record Objects(long urlTtlSeconds, long maxAgeSeconds, String signingKeyEnv, S3 s3) {
        public Objects {
            Checks.checkRange(urlTtlSeconds, 1, 7 * 24 * 3600, "storage.objects.urlTtlSeconds");
            Checks.checkPositive(maxAgeSeconds, "storage.objects.maxAgeSeconds");
            checkNotBlank(signingKeyEnv, "storage.objects.signingKeyEnv");
            if (s3 == null) {
                throw new ConfigException("storage.objects.s3: section is required (bucket \"\" = local directory)");
            }
        }
    }

    /**
     * An S3-compatible store instead of the local directory when {@code bucket} is set; {@code buckets} optionally
     * keeps course recordings and course content in buckets of their own.
     */
    public record S3(String endpoint, String region, String bucket, boolean pathStyle, String accessKeyEnv,
                     String secretKeyEnv, int maxAttempts, Buckets buckets) {
        /** Without separate buckets: everything in {@code bucket}. */
        public S3(String endpoint, String region, String bucket, boolean pathStyle, String accessKeyEnv,
                  String secretKeyEnv, int maxAttempts) {
            this(endpoint, region, bucket, pathStyle, accessKeyEnv, secretKeyEnv, maxAttempts, null);
        }

        public S3 {
            buckets = buckets == null ? new Buckets("", "") : buckets;
            endpoint = endpoint == null ? "" : endpoint;
            bucket = bucket == null ? "" : bucket;
            checkNotBlank(region, "storage.objects.s3.region");
            if (!endpoint.isEmpty() && !endpoint.startsWith("http://") && !endpoint.startsWith("https://")) {
                throw new ConfigException("storage.objects.s3.endpoint: " + endpoint + " (expected an http(s) URL or \"\")");
            }
            checkNotBlank(accessKeyEnv, "storage.objects.s3.accessKeyEnv");
            checkNotBlank(secretKeyEnv, "storage.objects.s3.secretKeyEnv");
            Checks.checkRange(maxAttempts, 1, 10, "storage.objects.s3.maxAttempts");
        }

        public boolean enabled() {
            return !bucket.isEmpty();
        }
    }

    /**
     * The seed's separate buckets: lecture recordings ({@code courses.audioBucket} keys) in {@code audio}, course
     * materials ({@code courses.contentBucket} keys) in {@code content}; "" = the one {@code bucket}.
     */
    public record Buckets(String audio, String content) {
        private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile(
                "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

        public Buckets {
            audio = check(audio, "storage.objects.s3.buckets.audio");
            content = check(content, "storage.objects.s3.buckets.content");
        }

        private static String check(String name, String key) {
            String n = name == null ? "" : name.strip();
            if (!n.isEmpty() && (!NAME.matcher(n).matches() || n.contains(".."))) {
                throw new ConfigException(key + ": " + n + " (expected an S3 bucket name: 3-63 of a-z 0-9 . -)");
            }
            return n;
        }
    }
}

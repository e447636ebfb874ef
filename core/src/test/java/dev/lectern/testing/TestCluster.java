package dev.lectern.testing;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The shared stores of a test cluster: a PostgreSQL database of its own, Redis under a key prefix of its own and an
 * S3Proxy bucket. Each node gets its environment from {@link #env} and its S3 keys from {@link #secrets}; closing
 * drops the database, stops S3Proxy and deletes the Redis keys (close the nodes first).
 */
public final class TestCluster implements AutoCloseable {
    private final PostgresTestDatabase pg;
    private final S3Proxy s3;
    private final String prefix;
    private final String bucket;

    private TestCluster(PostgresTestDatabase pg, S3Proxy s3, String name) {
        this.pg = pg;
        this.s3 = s3;
        String id = UUID.randomUUID().toString().substring(0, 8);
        this.prefix = "lectern-test-" + name + "-" + id + ":";
        this.bucket = "lectern-" + name + "-" + id;
    }

    /** Needs Redis and PostgreSQL (skips, or fails under CI=true, without them). */
    public static TestCluster start(String name) throws Exception {
        TestServices.requireRedis();
        TestServices.requirePostgres();
        PostgresTestDatabase pg = PostgresTestDatabase.create();
        try {
            return new TestCluster(pg, S3Proxy.start(), name);
        } catch (Exception | Error e) {
            pg.close();
            throw e;
        }
    }

    /** One node's environment (a mutable map: tests add their own keys). */
    public Map<String, String> env(String nodeId, Path dataDir) {
        return ClusterNodeEnv.of(nodeId, dataDir, pg, prefix, s3, bucket);
    }

    /** The secrets every node needs (the S3 keys; a mutable map). */
    public Map<String, String> secrets() {
        return new HashMap<>(Map.of("LECTERN_S3_ACCESS_KEY_ID", S3Proxy.IDENTITY,
                "LECTERN_S3_SECRET_ACCESS_KEY", S3Proxy.CREDENTIAL));
    }

    @Override
    public void close() {
        try {
            s3.close();
            pg.close();
        } finally {
            ClusterNodeEnv.deleteRedisKeys(prefix);
        }
    }
}

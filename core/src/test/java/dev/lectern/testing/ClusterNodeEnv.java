package dev.lectern.testing;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.Jedis;

/**
 * The environment of one node of a test cluster: its own data directory, the shared PostgreSQL, Redis (under a key
 * prefix of the test's) and S3-compatible bucket, {@code cluster.mode: redis}.
 */
public final class ClusterNodeEnv {
    private ClusterNodeEnv() {}

    /** A mutable map: tests add their own keys. */
    public static Map<String, String> of(String nodeId, Path dataDir, PostgresTestDatabase pg, String redisPrefix,
                                         S3Proxy s3, String bucket) {
        Map<String, String> env = new HashMap<>();
        env.put("LECTERN_STORAGE__DATA_DIR", dataDir.toString());
        env.put("LECTERN_STORAGE__SQL__URL", pg.url());
        env.put("LECTERN_STORAGE__SQL__USER", PostgresTestDatabase.USER);
        env.put("LECTERN_STORAGE__REDIS__URL", TestServices.redisUrl());
        env.put("LECTERN_STORAGE__REDIS__KEY_PREFIX", redisPrefix);
        env.put("LECTERN_CLUSTER__MODE", "redis");
        env.put("LECTERN_CLUSTER__NODE_ID", nodeId);
        env.put("LECTERN_STORAGE__OBJECTS__S3__BUCKET", bucket);
        env.put("LECTERN_STORAGE__OBJECTS__S3__ENDPOINT", s3.endpoint().toString());
        env.put("LECTERN_STORAGE__OBJECTS__S3__PATH_STYLE", "true");
        return env;
    }

    /** Deletes the test's Redis keys (those under {@code redisPrefix}). */
    public static void deleteRedisKeys(String redisPrefix) {
        try (Jedis j = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            Set<String> keys = j.keys(redisPrefix + "*");
            if (!keys.isEmpty()) {
                j.del(keys.toArray(new String[0]));
            }
        }
    }
}

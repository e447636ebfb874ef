package dev.lectern.server;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.testing.TestServices;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import redis.clients.jedis.Jedis;

/**
 * Every accounts test again, with the production stores: Redis (127.0.0.1:6379, a key prefix of this run) and
 * PostgreSQL (a database of this run). Keys and database are removed afterwards.
 */
class AccountsOnRedisAndPostgresIntegrationTest extends AccountsIntegrationTest {
    private final String prefix = "lectern-test-" + UUID.randomUUID() + ":";
    private PostgresTestDatabase pg;

    @BeforeEach
    void stores() {
        TestServices.requireRedis();
        pg = PostgresTestDatabase.create();
    }

    @Override
    protected Map<String, String> storeOverrides() {
        return Map.of("LECTERN_STORAGE__REDIS__URL", TestServices.redisUrl(),
                "LECTERN_STORAGE__REDIS__KEY_PREFIX", prefix,
                "LECTERN_STORAGE__SQL__URL", pg.url(),
                "LECTERN_STORAGE__SQL__USER", PostgresTestDatabase.USER);
    }

    @Override
    protected String expectedEphemeralKind() {
        return "redis";
    }

    @Override
    protected String expectedSqlKind() {
        return "postgresql";
    }

    @AfterEach
    void removeStores() {
        stopServer();
        if (pg != null) {
            pg.close();
        }
        try (Jedis j = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            Set<String> keys = j.keys(prefix + "*");
            if (!keys.isEmpty()) {
                j.del(keys.toArray(new String[0]));
            }
        }
    }
}

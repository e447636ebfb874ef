package dev.lectern.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.config.StorageConfig;
import dev.lectern.testing.TestServices;
import java.time.Duration;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** The contract against a real Redis (127.0.0.1:6379), under a key prefix of its own that it removes afterwards. */
class RedisEphemeralStoreIntegrationTest extends EphemeralStoreContract {
    private final String prefix = "lectern-test-" + java.util.UUID.randomUUID() + ":";

    @BeforeAll
    static void needsRedis() {
        TestServices.requireRedis();
    }

    static StorageConfig.Redis config(String url, String prefix) {
        return new StorageConfig.Redis(url, prefix, 8, 500, 500);
    }

    @Override
    protected EphemeralStore newStore() {
        return new RedisEphemeralStore(config(TestServices.redisUrl(), prefix), null);
    }

    @Override
    protected void untilExpired(Duration ttl, BooleanSupplier gone) {
        Awaitility.await().pollInterval(Duration.ofMillis(50)).atMost(ttl.plusSeconds(5)).until(gone::getAsBoolean);
    }

    @AfterEach
    void removeKeys() {
        try (Jedis j = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            Set<String> keys = j.keys(prefix + "*");
            if (!keys.isEmpty()) {
                j.del(keys.toArray(new String[0]));
            }
        }
    }

    @Test
    void keysCarryThePrefix() {
        store.set(ns + "p", "v", Duration.ofMinutes(1));
        try (Jedis j = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            assertThat(j.get(prefix + ns + "p")).isEqualTo("v");
            assertThat(j.exists(ns + "p")).isFalse();
        }
    }

    @Test
    void unreachableRedisFailsFastWithStoreUnavailable() {
        int dead = TestServices.freePort();
        try (RedisEphemeralStore down = new RedisEphemeralStore(config("redis://127.0.0.1:" + dead, prefix), null)) {
            assertThatThrownBy(() -> down.get("x")).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("redis unavailable");
            assertThatThrownBy(down::ping).isInstanceOf(StoreUnavailableException.class);
            assertThatThrownBy(() -> down.increment("c", 1, Duration.ofSeconds(1)))
                    .isInstanceOf(StoreUnavailableException.class);
        }
    }

    @Test
    void closedStoreRefusesCalls() {
        store.close();
        assertThatThrownBy(() -> store.get("x")).isInstanceOf(StoreUnavailableException.class);
    }
}

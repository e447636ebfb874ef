package dev.lectern.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.config.StorageConfig;
import dev.lectern.testing.RedisServerProcess;
import dev.lectern.testing.TcpProxy;
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
    void namedOperationsForComponentsBuiltOnRedis() {
        RedisEphemeralStore redis = (RedisEphemeralStore) store;
        RedisScript script = new RedisScript("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])");
        assertThat(redis.eval(script, java.util.List.of(ns + "s"), java.util.List.of("one"))).isEqualTo("one");
        try (Jedis j = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            assertThat(j.get(prefix + ns + "s")).isEqualTo("one"); // keys get the prefix, arguments do not
        }
        // by its SHA-1 now (a Redis that forgot it gets it again: redisDyingFailsCallsFastAndRecoveryNeedsNoRestart)
        assertThat(redis.eval(script, java.util.List.of(ns + "s"), java.util.List.of("two"))).isEqualTo("two");

        redis.setAdd(ns + "set", "a");
        redis.setAdd(ns + "set", "b");
        redis.setAdd(ns + "set", "a");
        assertThat(redis.setMembers(ns + "set")).containsExactlyInAnyOrder("a", "b");
        assertThat(redis.setSize(ns + "set")).isEqualTo(2);
        assertThat(redis.setMembers(ns + "none")).isEmpty();

        redis.hset(ns + "h", "old", "1");
        java.util.List<java.util.function.BooleanSupplier> added = new java.util.ArrayList<>();
        redis.batch(b -> {
            added.add(b.hsetNew(ns + "h", "old", "2"));
            added.add(b.hsetNew(ns + "h", "new", "3"));
            b.set(ns + "alive", "yes", Duration.ofMinutes(1));
            b.expire(ns + "h", Duration.ofMinutes(1));
        });
        assertThat(added.get(0).getAsBoolean()).isFalse();
        assertThat(added.get(1).getAsBoolean()).isTrue();
        assertThat(redis.hgetAll(ns + "h")).containsEntry("old", "2").containsEntry("new", "3");
        assertThat(redis.get(ns + "alive")).contains("yes");
        assertThat(redis.ttl(ns + "h")).isPresent();
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

    @Test
    void redisDyingFailsCallsFastAndRecoveryNeedsNoRestart() {
        try (RedisServerProcess redis = new RedisServerProcess().start();
             RedisEphemeralStore own = new RedisEphemeralStore(config(redis.url(), prefix), null)) {
            java.util.List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (EphemeralStore.Subscription sub = own.subscribe("events", got::add)) {
                own.set("k", "v", Duration.ofMinutes(1));
                assertThat(own.increment("n", 1, Duration.ofMinutes(1))).isEqualTo(1); // loads the script
                own.publish("events", "before");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> got.contains("before"));

                redis.kill();
                assertThatThrownBy(() -> own.get("k")).isInstanceOf(StoreUnavailableException.class);
                assertThatThrownBy(() -> own.publish("events", "lost")).isInstanceOf(StoreUnavailableException.class);
                assertThatThrownBy(own::ping).isInstanceOf(StoreUnavailableException.class);

                redis.start();
                Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                    own.ping();
                    return true;
                });
                assertThat(own.get("k")).isEmpty(); // a fresh server without persistence
                own.set("k", "again", Duration.ofMinutes(1));
                assertThat(own.get("k")).contains("again");
                // the new server does not know the counter script: it is loaded again transparently
                assertThat(own.increment("n", 1, Duration.ofMinutes(1))).isEqualTo(1);
                assertThat(own.increment("n", 1, Duration.ofMinutes(1))).isEqualTo(2);
                // the subscription is renewed on the new connection
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                    own.publish("events", "after");
                    return got.contains("after");
                });
                assertThat(got).doesNotContain("lost");
            }
        }
    }

    @Test
    void aSilentlyDeadSubscriptionIsNoticedAndReplaced() throws Exception {
        try (TcpProxy proxy = new TcpProxy(TestServices.REDIS_HOST, TestServices.REDIS_PORT).start();
             RedisEphemeralStore viaProxy = new RedisEphemeralStore(
                     config("redis://127.0.0.1:" + proxy.port(), prefix), null)) {
            java.util.List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (EphemeralStore.Subscription sub = viaProxy.subscribe("events", got::add)) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    store.publish("events", "before"); // straight to Redis, same prefix
                    return got.contains("before");
                });

                proxy.blackholeOpenConnections(); // no reset, no close: the bytes just stop arriving

                java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
                Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    store.publish("events", "after-" + n.incrementAndGet());
                    return got.stream().anyMatch(m -> m.startsWith("after-"));
                });
            }
        }
    }
}

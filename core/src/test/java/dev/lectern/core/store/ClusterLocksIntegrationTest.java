package dev.lectern.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.testing.TestServices;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Two "nodes" (two stores and two lock sets) on one real Redis: a lock held by one is refused to the other, renewal
 * keeps it past its ttl while the holder works, a holder that dies frees it within the ttl, and a stale holder's
 * release cannot delete the lock another has taken since. Without Redis the locks are in-process.
 */
class ClusterLocksIntegrationTest {
    private final String prefix = "lectern-test-locks-" + java.util.UUID.randomUUID() + ":";
    private RedisEphemeralStore storeA;
    private RedisEphemeralStore storeB;
    private ClusterLocks nodeA;
    private ClusterLocks nodeB;

    @BeforeAll
    static void needsRedis() {
        TestServices.requireRedis();
    }

    private RedisEphemeralStore store() {
        return new RedisEphemeralStore(RedisEphemeralStoreIntegrationTest.config(TestServices.redisUrl(), prefix), null);
    }

    private void start(Duration ttl) {
        storeA = store();
        storeB = store();
        nodeA = ClusterLocks.on(storeA, ttl);
        nodeB = ClusterLocks.on(storeB, ttl);
    }

    @AfterEach
    void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {nodeA, nodeB, storeA, storeB}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
        try (Jedis j = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            Set<String> keys = j.keys(prefix + "*");
            if (!keys.isEmpty()) {
                j.del(keys.toArray(new String[0]));
            }
        }
    }

    private static String raw(String key) {
        try (Jedis j = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            return j.get(key);
        }
    }

    @Test
    void heldOnOneNodeIsRefusedOnTheOtherUntilReleased() {
        start(Duration.ofSeconds(30));
        Optional<ClusterLocks.Lease> a = nodeA.tryAcquire("upload:alice");
        assertThat(a).isPresent();
        assertThat(nodeB.tryAcquire("upload:alice")).isEmpty();
        assertThat(nodeA.tryAcquire("upload:alice")).as("not reentrant either").isEmpty();
        Optional<ClusterLocks.Lease> bob = nodeB.tryAcquire("upload:bob");
        assertThat(bob).isPresent();
        a.get().release();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> raw(prefix + "lock:upload:alice") == null);
        Optional<ClusterLocks.Lease> again = nodeB.tryAcquire("upload:alice");
        assertThat(again).isPresent();
        a.get().release(); // a second release of the old lease does nothing to the new holder's lock
        again.get().release();
        bob.get().release();
    }

    @Test
    void renewalKeepsTheLockWhileItsHolderWorksAndAHolderThatDiesFreesItWithinTheTtl() {
        start(Duration.ofSeconds(1));
        ClusterLocks.Lease held = nodeA.tryAcquire("upload:alice").orElseThrow();
        // three ttls later the lock is still there: its holder renewed it
        Awaitility.await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> raw(prefix + "lock:upload:alice") != null);
        assertThat(nodeB.tryAcquire("upload:alice")).isEmpty();
        nodeA.close(); // node A dies: nobody renews, nobody releases
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> nodeB.tryAcquire("upload:alice").map(l -> true).orElse(false));
        held.release(); // the dead node's late release cannot free what node B now holds
        assertThat(raw(prefix + "lock:upload:alice")).isNotNull();
    }

    @Test
    void withoutRedisTheLocksAreInProcess() {
        try (InMemoryEphemeralStore memory = new InMemoryEphemeralStore();
             ClusterLocks locks = ClusterLocks.on(memory, Duration.ofSeconds(30))) {
            ClusterLocks.Lease lease = locks.tryAcquire("upload:alice").orElseThrow();
            assertThat(locks.tryAcquire("upload:alice")).isEmpty();
            assertThat(locks.tryAcquire("upload:bob")).isPresent();
            lease.release();
            assertThat(locks.tryAcquire("upload:alice")).isPresent();
        }
    }
}

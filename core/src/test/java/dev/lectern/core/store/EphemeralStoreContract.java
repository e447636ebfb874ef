package dev.lectern.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The one contract every {@link EphemeralStore} keeps, run against each implementation by a subclass: values with
 * expiry, set-if-absent, counters whose expiry is set only when new, hashes, pub/sub in publish order, close.
 */
abstract class EphemeralStoreContract {
    protected EphemeralStore store;
    /** Keys of this run only, so that runs against a shared Redis do not see each other. */
    protected final String ns = "t-" + UUID.randomUUID() + ":";

    protected abstract EphemeralStore newStore();

    /** Lets {@code ttl} pass (a virtual clock, or real time for a real server) until {@code gone} holds. */
    protected abstract void untilExpired(Duration ttl, BooleanSupplier gone);

    @BeforeEach
    void open() {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void setGetDeleteExists() {
        assertThat(store.get(ns + "a")).isEmpty();
        store.set(ns + "a", "1", null);
        assertThat(store.get(ns + "a")).contains("1");
        assertThat(store.exists(ns + "a")).isTrue();
        assertThat(store.ttl(ns + "a")).isEmpty();
        store.set(ns + "a", "2", null);
        assertThat(store.get(ns + "a")).contains("2");
        assertThat(store.delete(ns + "a")).isTrue();
        assertThat(store.delete(ns + "a")).isFalse();
        assertThat(store.exists(ns + "a")).isFalse();
    }

    @Test
    void valuesExpire() {
        store.set(ns + "short", "x", Duration.ofMillis(300));
        store.set(ns + "long", "y", Duration.ofHours(1));
        assertThat(store.ttl(ns + "short")).get().satisfies(d -> assertThat(d).isPositive()
                .isLessThanOrEqualTo(Duration.ofMillis(300)));
        untilExpired(Duration.ofMillis(300), () -> store.get(ns + "short").isEmpty());
        assertThat(store.exists(ns + "short")).isFalse();
        assertThat(store.get(ns + "long")).contains("y");
        assertThat(store.ttl(ns + "long")).get().satisfies(d -> assertThat(d).isGreaterThan(Duration.ofMinutes(59)));
    }

    @Test
    void expireSetsAndReplacesExpiryOfExistingKeysOnly() {
        assertThat(store.expire(ns + "none", Duration.ofSeconds(5))).isFalse();
        store.set(ns + "k", "v", null);
        assertThat(store.expire(ns + "k", Duration.ofMillis(300))).isTrue();
        assertThat(store.ttl(ns + "k")).isPresent();
        untilExpired(Duration.ofMillis(300), () -> !store.exists(ns + "k"));
    }

    @Test
    void nonPositiveTtlIsRefused() {
        assertThatThrownBy(() -> store.set(ns + "k", "v", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.set(ns + "k", "v", Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void setIfAbsentSetsOnceUntilTheKeyExpires() {
        assertThat(store.setIfAbsent(ns + "lock", "a", Duration.ofMillis(300))).isTrue();
        assertThat(store.setIfAbsent(ns + "lock", "b", Duration.ofMillis(300))).isFalse();
        assertThat(store.get(ns + "lock")).contains("a");
        untilExpired(Duration.ofMillis(300), () -> !store.exists(ns + "lock"));
        assertThat(store.setIfAbsent(ns + "lock", "c", null)).isTrue();
        assertThat(store.get(ns + "lock")).contains("c");
    }

    @Test
    void setIfAbsentHasExactlyOneWinnerUnderContention() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String value = "v" + i;
                results.add(pool.submit(() -> {
                    start.await();
                    return store.setIfAbsent(ns + "race", value, Duration.ofSeconds(10));
                }));
            }
            start.countDown();
            int winners = 0;
            for (Future<Boolean> f : results) {
                winners += f.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(winners).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void countersStartAtZeroAndGetTheirTtlOnlyWhenNew() {
        assertThat(store.increment(ns + "c", 1, Duration.ofMillis(400))).isEqualTo(1);
        Duration first = store.ttl(ns + "c").orElseThrow();
        assertThat(store.increment(ns + "c", 5, Duration.ofHours(1))).isEqualTo(6);
        assertThat(store.ttl(ns + "c").orElseThrow()).isLessThanOrEqualTo(first);
        assertThat(store.increment(ns + "c", -2, Duration.ofHours(1))).isEqualTo(4);
        untilExpired(Duration.ofMillis(400), () -> !store.exists(ns + "c"));
        assertThat(store.increment(ns + "c", 1, null)).isEqualTo(1);
        assertThat(store.ttl(ns + "c")).isEmpty();
    }

    @Test
    void concurrentIncrementsAreNotLost() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        store.increment(ns + "n", 1, Duration.ofMinutes(1));
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(store.get(ns + "n")).contains("200");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void incrementOfANonCounterIsRefused() {
        store.set(ns + "s", "not a number", null);
        assertThatThrownBy(() -> store.increment(ns + "s", 1, null)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void hashesHoldFieldsAndVanishWhenEmpty() {
        assertThat(store.hgetAll(ns + "h")).isEmpty();
        store.hset(ns + "h", "a", "1");
        store.hset(ns + "h", "b", "2");
        store.hset(ns + "h", "a", "3");
        assertThat(store.hget(ns + "h", "a")).contains("3");
        assertThat(store.hget(ns + "h", "zz")).isEmpty();
        assertThat(store.hgetAll(ns + "h")).isEqualTo(Map.of("a", "3", "b", "2"));
        assertThat(store.hdel(ns + "h", "a")).isTrue();
        assertThat(store.hdel(ns + "h", "a")).isFalse();
        assertThat(store.hdel(ns + "h", "b")).isTrue();
        assertThat(store.exists(ns + "h")).isFalse();
    }

    @Test
    void hashesExpireAsAWhole() {
        store.hset(ns + "h", "a", "1");
        assertThat(store.expire(ns + "h", Duration.ofMillis(300))).isTrue();
        untilExpired(Duration.ofMillis(300), () -> store.hgetAll(ns + "h").isEmpty());
        assertThat(store.hget(ns + "h", "a")).isEmpty();
    }

    @Test
    void pubSubDeliversInOrderToEverySubscriberUntilClosed() {
        List<String> a = new CopyOnWriteArrayList<>();
        List<String> b = new CopyOnWriteArrayList<>();
        EphemeralStore.Subscription sa = store.subscribe(ns + "room", a::add);
        EphemeralStore.Subscription sb = store.subscribe(ns + "room", b::add);
        for (int i = 0; i < 20; i++) {
            store.publish(ns + "room", "m" + i);
        }
        store.publish(ns + "other", "not for us");
        List<String> expected = java.util.stream.IntStream.range(0, 20).mapToObj(i -> "m" + i).toList();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.size() == 20 && b.size() == 20);
        assertThat(a).isEqualTo(expected);
        assertThat(b).isEqualTo(expected);

        sa.close();
        store.publish(ns + "room", "after");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.size() == 21);
        assertThat(b.get(20)).isEqualTo("after");
        assertThat(a).hasSize(20);
        sb.close();
    }

    @Test
    void aFailingListenerDoesNotStopDelivery() {
        List<String> got = new CopyOnWriteArrayList<>();
        try (EphemeralStore.Subscription bad = store.subscribe(ns + "c", m -> {
                    throw new IllegalStateException("listener bug");
                });
             EphemeralStore.Subscription good = store.subscribe(ns + "c", got::add)) {
            store.publish(ns + "c", "1");
            store.publish(ns + "c", "2");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 2);
            assertThat(got).containsExactly("1", "2");
        }
    }

    @Test
    void pingAnswersAndKindNamesTheStore() {
        store.ping();
        assertThat(store.kind()).isIn("memory", "redis");
    }
}

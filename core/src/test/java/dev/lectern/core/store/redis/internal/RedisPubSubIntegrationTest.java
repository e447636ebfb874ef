package dev.lectern.core.store.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lectern.core.netty.EventLoops;
import dev.lectern.testing.TcpProxy;
import dev.lectern.testing.TestServices;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** {@link RedisPubSub} against the real Redis, directly and through a proxy that cuts or silences it. */
class RedisPubSubIntegrationTest {
    private final String prefix = "lectern-test:" + UUID.randomUUID() + ":";
    private final AtomicInteger ups = new AtomicInteger();
    private final AtomicInteger downs = new AtomicInteger();
    private EventLoopGroup group;
    private EventLoop loop;
    private TcpProxy proxy;
    private RedisPubSub pubSub;

    @BeforeEach
    void start() {
        TestServices.requireRedis();
        group = EventLoops.newGroup(1, "pubsub-test");
        loop = group.next();
    }

    @AfterEach
    void stop() throws Exception {
        if (pubSub != null) {
            pubSub.close(500).get(5, TimeUnit.SECONDS);
        }
        if (proxy != null) {
            proxy.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private RedisPubSub open(int port, int pingIntervalMillis) {
        return open(port, pingIntervalMillis, 10_000);
    }

    private RedisPubSub open(int port, int pingIntervalMillis, int maxPending) {
        RedisEndpoint endpoint = new RedisEndpoint(TestServices.REDIS_HOST, port, false, "", 1000, pingIntervalMillis);
        pubSub = new RedisPubSub(loop, endpoint, maxPending, new RedisPubSub.StateListener() {
            @Override
            public void up() {
                ups.incrementAndGet();
            }

            @Override
            public void down(String why) {
                downs.incrementAndGet();
            }
        });
        pubSub.start();
        await().atMost(Duration.ofSeconds(5)).until(pubSub::connected);
        return pubSub;
    }

    private RedisPubSub openThroughProxy(int pingIntervalMillis) throws java.io.IOException {
        proxy = new TcpProxy(TestServices.REDIS_HOST, TestServices.REDIS_PORT).start();
        return open(proxy.port(), pingIntervalMillis);
    }

    private static RedisPubSub.Listener into(List<String> got) {
        return payload -> got.add(payload.toString(StandardCharsets.UTF_8));
    }

    private static void publishOnLoop(RedisPubSub p, String channel, List<String> payloads) {
        p.run(() -> payloads.forEach(m -> assertThat(p.publish(channel, m)).isTrue()));
    }

    @Test
    void deliversEveryMessageInOrderOnTheLoopOnceConfirmed() throws Exception {
        RedisPubSub p = open(TestServices.REDIS_PORT, 1000);
        List<String> got = new CopyOnWriteArrayList<>();
        AtomicBoolean offLoop = new AtomicBoolean();
        p.subscribe(prefix + "room", payload -> {
            offLoop.compareAndSet(false, !loop.inEventLoop());
            got.add(payload.toString(StandardCharsets.UTF_8));
        }).get(5, TimeUnit.SECONDS);
        List<String> sent = new java.util.ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            sent.add("{\"n\":" + i + ",\"text\":\"h\u00e9llo \u4e16\u754c\"}"); // multi-byte UTF-8 lengths
        }
        publishOnLoop(p, prefix + "room", sent);
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == sent.size());
        assertThat(got).containsExactlyElementsOf(sent);
        assertThat(offLoop).isFalse();
        assertThat(p.refused()).isZero();

        // from another client too, and nothing after unsubscribing
        try (Jedis jedis = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            jedis.publish(prefix + "room", "from jedis");
            await().atMost(Duration.ofSeconds(5)).until(() -> got.contains("from jedis"));
            p.unsubscribe(prefix + "room");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> jedis.pubsubNumSub(prefix + "room").get(prefix + "room") == 0L);
            jedis.publish(prefix + "room", "too late");
        }
        publishOnLoop(p, prefix + "room", List.of("also too late"));
        Thread.sleep(200);
        assertThat(got).doesNotContain("too late", "also too late");
    }

    @Test
    void moreUnansweredPublishesThanTheLimitAreRefused() throws Exception {
        RedisPubSub p = open(TestServices.REDIS_PORT, 1000, 100);
        AtomicInteger accepted = new AtomicInteger();
        p.run(() -> { // one turn of the loop: no answer can arrive in between
            for (int i = 0; i < 150; i++) {
                if (p.publish(prefix + "limit", "m" + i)) {
                    accepted.incrementAndGet();
                }
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> accepted.get() + p.refused() == 150);
        assertThat(accepted.get()).isEqualTo(100);
        assertThat(p.refused()).isEqualTo(50);
        // once Redis has answered, there is room again
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            AtomicBoolean ok = new AtomicBoolean();
            p.run(() -> ok.set(p.publish(prefix + "limit", "later")));
            Thread.sleep(20);
            return ok.get();
        });
    }

    @Test
    void aCutConnectionIsReopenedWithItsSubscriptionsAndRefusesWhileDown() throws Exception {
        RedisPubSub p = openThroughProxy(1000);
        List<String> got = new CopyOnWriteArrayList<>();
        p.subscribe(prefix + "a", into(got))
                .get(5, TimeUnit.SECONDS);

        proxy.cut();
        await().atMost(Duration.ofSeconds(5)).until(() -> !p.connected());
        assertThat(downs.get()).isPositive();
        AtomicBoolean accepted = new AtomicBoolean(true);
        p.run(() -> accepted.set(p.publish(prefix + "a", "while down")));
        await().atMost(Duration.ofSeconds(2)).until(() -> !accepted.get());
        assertThat(p.refused()).isPositive();

        proxy.start();
        await().atMost(Duration.ofSeconds(10)).until(p::connected);
        try (Jedis jedis = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> jedis.pubsubNumSub(prefix + "a").get(prefix + "a") == 1L);
        }
        publishOnLoop(p, prefix + "a", List.of("after"));
        await().atMost(Duration.ofSeconds(5)).until(() -> got.contains("after"));
        assertThat(got).doesNotContain("while down");
        assertThat(ups.get()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aConnectionThatFallsSilentIsPingedThenReplaced() throws Exception {
        RedisPubSub p = openThroughProxy(200);
        List<String> got = new CopyOnWriteArrayList<>();
        p.subscribe(prefix + "b", into(got))
                .get(5, TimeUnit.SECONDS);
        int downsBefore = downs.get();
        proxy.blackholeOpenConnections(); // no reset: only the missing pongs tell
        await().atMost(Duration.ofSeconds(5)).until(() -> downs.get() > downsBefore);
        await().atMost(Duration.ofSeconds(10)).until(p::connected);
        try (Jedis jedis = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                jedis.publish(prefix + "b", "through the new connection");
                return got.contains("through the new connection");
            });
        }
    }

    @Test
    void subscribingBeforeRedisIsReachableConfirmsOnceItIs() throws Exception {
        RedisPubSub p = openThroughProxy(1000);
        proxy.cut();
        await().atMost(Duration.ofSeconds(5)).until(() -> !p.connected());
        List<String> got = new CopyOnWriteArrayList<>();
        var confirmed = p.subscribe(prefix + "c", into(got));
        Thread.sleep(100);
        assertThat(confirmed).isNotDone();
        proxy.start();
        confirmed.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(p::connected); // the publishing leg may still be backing off
        publishOnLoop(p, prefix + "c", List.of("hello"));
        await().atMost(Duration.ofSeconds(5)).until(() -> got.contains("hello"));
    }
}

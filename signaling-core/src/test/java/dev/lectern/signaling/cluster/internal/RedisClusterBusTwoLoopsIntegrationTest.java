package dev.lectern.signaling.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.config.StorageConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.netty.EventLoops;
import dev.lectern.core.store.RedisEphemeralStore;
import dev.lectern.signaling.room.IceServers;
import dev.lectern.signaling.room.Peer;
import dev.lectern.signaling.room.RoomEventSink;
import dev.lectern.signaling.room.RoomService;
import dev.lectern.testing.TcpProxy;
import dev.lectern.testing.TestConfigs;
import dev.lectern.testing.TestServices;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Node A with two event loops (the bus's pub/sub connections on the first, sockets on both) and node B with one, on
 * the real Redis: a room with a member on each loop of A and one on B. Every event reaches each member once, each
 * sender's events keep their order (those of the second loop are handed to the first to be published, and remote
 * ones read there are handed back), and the outage buffer keeps what both loops sent while Redis was away.
 */
class RedisClusterBusTwoLoopsIntegrationTest {
    private static final int N = 200;
    private final String prefix = "lectern-test-two-loops-" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private EventLoopGroup groupA;
    private EventLoopGroup groupB;
    private List<EventLoop> loopsA;

    @BeforeEach
    void start() {
        TestServices.requireRedis();
        groupA = EventLoops.newGroup(2, "test-node-a");
        groupB = EventLoops.newGroup(1, "test-node-b");
        loopsA = new ArrayList<>();
        for (EventExecutor e : groupA) {
            loopsA.add((EventLoop) e);
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        groupA.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        groupB.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        try (Jedis jedis = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            for (String key : jedis.keys(prefix + "*")) {
                jedis.del(key);
            }
        }
    }

    /** A node: its bus (pub/sub on the first of {@code loops}) and rooms. */
    private record Node(RedisClusterBus bus, RoomService rooms) {}

    private Node node(String id, String redisUrl, List<EventLoop> loops) {
        RedisEphemeralStore store = new RedisEphemeralStore(
                new StorageConfig.Redis(redisUrl, prefix, 4, 300, 300), null);
        cleanup.add(store);
        RedisClusterBus bus = new RedisClusterBus(store, loops.get(0), id, 200, 1000, 10_000, 1 << 20, 30_000);
        cleanup.add(bus);
        RoomService rooms = new RoomService(TestConfigs.defaults(Map.of("LECTERN_SIGNALING__ROOM_CAPACITY", "3")).signaling(),
                RoomEventSink.NONE,
                IceServers.stun(List.of("stun:stun.example.org:3478")), Clock.systemUTC(), bus);
        return new Node(bus, rooms);
    }

    /** A peer that records "event message-or-peer" for every event it gets, from any thread. */
    private record Recorder(String peerId, String userId, List<String> got) implements Peer {
        Recorder(String peerId) {
            this(peerId, "user-" + peerId, Collections.synchronizedList(new ArrayList<>()));
        }

        @Override
        public void send(String event, JsonNode data) {
            JsonNode d = Json.tree(data);
            got.add(event + " " + (d.has("message") ? d.get("message").asText() : d.path("peer_id").asText()));
        }

        List<String> messages(String prefix) {
            synchronized (got) {
                return got.stream().filter(e -> e.startsWith("message " + prefix)).map(e -> e.substring(8)).toList();
            }
        }

        boolean has(String entry) {
            return got.contains(entry);
        }
    }

    /** Handles a client event on {@code loop}, as a socket on that loop would, and waits for its ack. */
    private static void on(EventLoop loop, RoomService rooms, Peer peer, String event, String json) throws Exception {
        JsonNode data = Json.MAPPER.readTree(json);
        loop.submit(() -> rooms.handleAsync(peer, event, data)).get(5, TimeUnit.SECONDS)
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private static String message(String room, String text) {
        return "{\"room_id\":\"" + room + "\",\"message\":\"" + text + "\",\"sender\":\"x\"}";
    }

    private static List<String> numbered(String sender) {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            all.add(sender + "-" + i);
        }
        return all;
    }

    /** The room with a0 on A's first loop, a1 on its second, b on B, everyone knowing everyone. */
    private void joinAll(Node a, Node b, EventLoop loopB, Recorder a0, Recorder a1, Recorder pb, String room)
            throws Exception {
        String join = "{\"room_id\":\"" + room + "\"}";
        on(loopsA.get(0), a.rooms(), a0, "join", join);
        on(loopsA.get(1), a.rooms(), a1, "join", join);
        on(loopB, b.rooms(), pb, "join", join);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a0.has("peer-joined " + pb.peerId())
                && a1.has("peer-joined " + pb.peerId()));
    }

    @Test
    void aRoomOnBothLoopsOfANodeGetsEveryEventOnceInEachSendersOrder() throws Exception {
        Node a = node("a", TestServices.redisUrl(), loopsA);
        EventLoop loopB = (EventLoop) groupB.next();
        Node b = node("b", TestServices.redisUrl(), List.of(loopB));
        Recorder a0 = new Recorder("a0");
        Recorder a1 = new Recorder("a1");
        Recorder pb = new Recorder("b");
        joinAll(a, b, loopB, a0, a1, pb, "split");

        for (int i = 0; i < N; i++) { // interleaved from the two loops of A and from B
            int k = i;
            loopsA.get(0).execute(() -> a.rooms().handleAsync(a0, "message", tree(message("split", "a0-" + k))));
            loopsA.get(1).execute(() -> a.rooms().handleAsync(a1, "message", tree(message("split", "a1-" + k))));
            loopB.execute(() -> b.rooms().handleAsync(pb, "message", tree(message("split", "b-" + k))));
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> pb.messages("a").size() == 2 * N
                && a0.messages("b").size() == N && a1.messages("b").size() == N
                && a0.messages("a1").size() == N && a1.messages("a0").size() == N);

        assertThat(pb.messages("a0")).containsExactlyElementsOf(numbered("a0"));
        assertThat(pb.messages("a1")).containsExactlyElementsOf(numbered("a1"));
        for (Recorder r : List.of(a0, a1)) {
            assertThat(r.messages("b")).containsExactlyElementsOf(numbered("b"));
            assertThat(r.messages("a0")).containsExactlyElementsOf(numbered("a0")); // local: straight, once
            assertThat(r.messages("a1")).containsExactlyElementsOf(numbered("a1"));
        }
        assertThat(pb.messages("b")).containsExactlyElementsOf(numbered("b")); // its own, from its node only
        assertThat(a.bus().outOfOrder()).isZero();
        assertThat(b.bus().outOfOrder()).isZero();
    }

    @Test
    void theOutageBufferKeepsWhatBothLoopsSentWhileRedisWasAwayAndSendsItInOrder() throws Exception {
        TcpProxy proxy = new TcpProxy(TestServices.REDIS_HOST, TestServices.REDIS_PORT).start();
        cleanup.add(proxy);
        String viaProxy = "redis://127.0.0.1:" + proxy.port();
        Node a = node("a", viaProxy, loopsA);
        EventLoop loopB = (EventLoop) groupB.next();
        Node b = node("b", viaProxy, List.of(loopB));
        Recorder a0 = new Recorder("a0");
        Recorder a1 = new Recorder("a1");
        Recorder pb = new Recorder("b");
        joinAll(a, b, loopB, a0, a1, pb, "blink");

        proxy.cut();
        for (int i = 0; i < N; i++) {
            on(loopsA.get(0), a.rooms(), a0, "message", message("blink", "a0-" + i));
            on(loopsA.get(1), a.rooms(), a1, "message", message("blink", "a1-" + i));
        }
        // held, from both loops (none was answered before the cut: the connections were down)
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> a.bus().held() == 2L * N);
        proxy.start();

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> pb.messages("a").size() >= 2 * N);
        assertThat(pb.messages("a0")).containsExactlyElementsOf(numbered("a0"));
        assertThat(pb.messages("a1")).containsExactlyElementsOf(numbered("a1"));
        assertThat(a.bus().dropped()).isZero();
        assertThat(a.bus().held()).isZero();
        // and the room goes on across the nodes from both loops
        on(loopsA.get(1), a.rooms(), a1, "message", message("blink", "a1-after"));
        on(loopB, b.rooms(), pb, "message", message("blink", "b-after"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pb.has("message a1-after")
                && a0.has("message b-after") && a1.has("message b-after"));
    }

    private static JsonNode tree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

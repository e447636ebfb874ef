package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.server.Main;
import dev.lectern.testing.TcpProxy;
import dev.lectern.testing.TestConfigs;
import dev.lectern.testing.TestServices;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Several Lectern nodes on the real Redis ({@code cluster.mode: redis}), each test with its own key and channel
 * prefix: peers on different nodes signal each other, capacity and ordering hold across nodes, only nodes with members
 * subscribe to a room's channel, a killed node's peers leave their rooms in time, and a Redis outage stops only the
 * cross-node part.
 */
class ClusterIntegrationTest {
    private static final String SDP = "v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n";
    private static final String CANDIDATE = "{\"candidate\":\"candidate:842163049 1 udp 1677729535 192.0.2.7 3478 typ"
            + " srflx raddr 0.0.0.0 rport 0 generation 0\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}";
    static final long HEARTBEAT_MILLIS = 200;
    static final long HEARTBEAT_TTL_MILLIS = 1000;
    static final long PING_INTERVAL_MILLIS = 500;
    static final long PING_TIMEOUT_MILLIS = 1000;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String prefix = "lectern-test-cluster-" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @TempDir
    Path data;

    @BeforeEach
    void requireRedis() {
        TestServices.requireRedis();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        try (Jedis jedis = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            for (String key : jedis.keys(prefix + "*")) {
                jedis.del(key);
            }
        }
    }

    /** The environment of one node of this test's cluster. */
    Map<String, String> nodeEnv(String nodeId, String redisUrl, int roomCapacity) {
        Map<String, String> env = new HashMap<>();
        env.put("LECTERN_SIGNALING__DEV_MODE", "true");
        env.put("LECTERN_SIGNALING__AD_HOC_ROOMS", "true");
        env.put("LECTERN_SIGNALING__ROOM_CAPACITY", Integer.toString(roomCapacity));
        env.put("LECTERN_SIGNALING__PING_INTERVAL_MILLIS", Long.toString(PING_INTERVAL_MILLIS));
        env.put("LECTERN_SIGNALING__PING_TIMEOUT_MILLIS", Long.toString(PING_TIMEOUT_MILLIS));
        env.put("LECTERN_STORAGE__REDIS__URL", redisUrl);
        env.put("LECTERN_STORAGE__REDIS__KEY_PREFIX", prefix);
        env.put("LECTERN_STORAGE__REDIS__CONNECT_TIMEOUT_MILLIS", "300");
        env.put("LECTERN_STORAGE__REDIS__SOCKET_TIMEOUT_MILLIS", "300");
        env.put("LECTERN_CLUSTER__MODE", "redis");
        env.put("LECTERN_CLUSTER__NODE_ID", nodeId);
        env.put("LECTERN_CLUSTER__HEARTBEAT_INTERVAL_MILLIS", Long.toString(HEARTBEAT_MILLIS));
        env.put("LECTERN_CLUSTER__HEARTBEAT_TTL_MILLIS", Long.toString(HEARTBEAT_TTL_MILLIS));
        return env;
    }

    private LecternServer node(String nodeId, int roomCapacity) {
        return node(nodeId, TestServices.redisUrl(), roomCapacity);
    }

    private LecternServer node(String nodeId, String redisUrl, int roomCapacity) {
        return node(nodeId, redisUrl, roomCapacity, Map.of());
    }

    private LecternServer node(String nodeId, String redisUrl, int roomCapacity, Map<String, String> more) {
        Map<String, String> env = nodeEnv(nodeId, redisUrl, roomCapacity);
        env.putAll(more);
        env.put("LECTERN_STORAGE__DATA_DIR", data.resolve(nodeId).toString());
        LecternServer server = LecternServer.start(TestConfigs.defaults(env), Map.of());
        cleanup.add(server);
        return server;
    }

    private WsClient client(int port, String user) throws Exception {
        WsClient c = WsClient.connect(http, "ws://127.0.0.1:" + port + "/ws?user_id=" + user);
        cleanup.add(c::abort);
        return c;
    }

    private WsClient client(LecternServer node, String user) throws Exception {
        return client(node.signalingPort(), user);
    }

    static JsonNode event(WsClient c, String event) throws Exception {
        while (true) {
            JsonNode f = Json.MAPPER.readTree(c.nextText());
            if (event.equals(f.path("event").asText(null))) {
                return f.get("data");
            }
        }
    }

    static JsonNode ack(WsClient c, int id) throws Exception {
        while (true) {
            JsonNode f = Json.MAPPER.readTree(c.nextText());
            if (f.has("ack") && f.get("ack").asInt() == id) {
                return f.get("data");
            }
        }
    }

    private static JsonNode join(WsClient c, String room) throws Exception {
        c.send("{\"event\":\"join\",\"data\":{\"room_id\":\"" + room + "\"},\"id\":100}");
        JsonNode ack = ack(c, 100);
        assertThat(ack.path("ok").asBoolean(true)).as("join acked: %s", ack).isTrue();
        return ack;
    }

    private static String send(WsClient c, String room, String message) throws Exception {
        c.send("{\"event\":\"message\",\"data\":{\"room_id\":\"" + room + "\",\"message\":\"" + message
                + "\",\"sender\":\"x\"}}");
        return message;
    }

    private List<String> channels() {
        try (Jedis jedis = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            return jedis.pubsubChannels(prefix + "room:*");
        }
    }

    private long subscribers(String room) {
        try (Jedis jedis = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            return jedis.pubsubNumSub(prefix + "room:" + room).get(prefix + "room:" + room);
        }
    }

    @Test
    void peersOnTwoNodesSignalChatAndLeave() throws Exception {
        LecternServer a = node("a", 2);
        LecternServer b = node("b", 2);
        WsClient alice = client(a, "alice");
        WsClient bob = client(b, "bob");
        alice.send("{\"event\":\"join\",\"data\":{\"room_id\":\"lesson\",\"is_host\":true},\"id\":1}");
        String aliceId = event(alice, "joined").get("peer_id").asText();
        bob.send("{\"event\":\"join\",\"data\":{\"room_id\":\"lesson\"},\"id\":1}");
        JsonNode joinedB = event(bob, "joined");
        String bobId = joinedB.get("peer_id").asText();
        assertThat(joinedB.get("peers")).hasSize(1);
        assertThat(joinedB.at("/peers/0/peer_id").asText()).isEqualTo(aliceId);
        assertThat(joinedB.at("/peers/0/user_id").asText()).isEqualTo("alice");
        assertThat(joinedB.at("/peers/0/is_host").asBoolean()).isTrue();
        JsonNode peerJoined = event(alice, "peer-joined");
        assertThat(peerJoined.get("peer_id").asText()).isEqualTo(bobId);
        assertThat(peerJoined.get("user_id").asText()).isEqualTo("bob");

        alice.send("{\"event\":\"offer\",\"data\":{\"room_id\":\"lesson\",\"sdp\":\"" + SDP + "\"}}");
        JsonNode offer = event(bob, "offer");
        assertThat(offer.get("from").asText()).isEqualTo(aliceId);
        assertThat(offer.get("sdp").asText()).startsWith("v=0");
        bob.send("{\"event\":\"answer\",\"data\":{\"room_id\":\"lesson\",\"to\":\"" + aliceId + "\",\"sdp\":\""
                + SDP + "\"}}");
        assertThat(event(alice, "answer").get("from").asText()).isEqualTo(bobId);
        alice.send("{\"event\":\"candidate\",\"data\":{\"room_id\":\"lesson\",\"to\":\"" + bobId
                + "\",\"candidate\":" + CANDIDATE + "}}");
        assertThat(event(bob, "candidate").get("candidate").get("sdpMid").asText()).isEqualTo("0");
        bob.send("{\"event\":\"candidate\",\"data\":{\"room_id\":\"lesson\",\"candidate\":null}}");
        assertThat(event(alice, "candidate").get("candidate").isNull()).isTrue();
        send(alice, "lesson", "hello bob");
        assertThat(event(bob, "message").get("message").asText()).isEqualTo("hello bob");
        assertThat(event(alice, "message").get("message").asText()).isEqualTo("hello bob");
        // a target that is in no node's part of the room
        bob.send("{\"event\":\"offer\",\"data\":{\"room_id\":\"lesson\",\"to\":\"nobody\",\"sdp\":\"" + SDP
                + "\"},\"id\":5}");
        assertThat(ack(bob, 5).get("code").asText()).isEqualTo("unknown_peer");
        // both online as the REST side sees it, from either node
        assertThat(a.signaling().service().rooms().usersIn("lesson")).containsExactlyInAnyOrder("alice", "bob");

        bob.send("{\"event\":\"leave\",\"data\":{\"room_id\":\"lesson\"},\"id\":2}");
        assertThat(ack(bob, 2).get("ok").asBoolean()).isTrue();
        JsonNode left = event(alice, "peer-left");
        assertThat(left.get("peer_id").asText()).isEqualTo(bobId);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> subscribers("lesson") == 1);
    }

    @Test
    void socketIoClientsOnTwoNodesCompleteTheExchange() throws Exception {
        NodePeer.assumeAvailable();
        LecternServer a = node("a", 2);
        LecternServer b = node("b", 2);
        try (NodePeer alice = new NodePeer("http://127.0.0.1:" + a.signalingPort(), "{\"user_id\":\"alice\"}",
                "websocket");
                NodePeer bob = new NodePeer("http://127.0.0.1:" + b.signalingPort(), "{\"user_id\":\"bob\"}",
                        "websocket")) {
            String aliceId = alice.awaitKey("connect").asText();
            String bobId = bob.awaitKey("connect").asText();
            alice.emit("join", "{\"room_id\":\"sio\",\"is_host\":true}", 1);
            assertThat(alice.awaitAck(1).get("peers")).isEmpty();
            bob.emit("join", "{\"room_id\":\"sio\"}", 1);
            assertThat(bob.awaitAck(1).at("/peers/0/peer_id").asText()).isEqualTo(aliceId);
            assertThat(alice.awaitEvent("peer-joined").get("peer_id").asText()).isEqualTo(bobId);

            alice.emit("offer", "{\"room_id\":\"sio\",\"to\":\"" + bobId + "\",\"sdp\":\"" + SDP + "\"}", 2);
            assertThat(alice.awaitAck(2).get("ok").asBoolean()).isTrue();
            assertThat(bob.awaitEvent("offer").get("from").asText()).isEqualTo(aliceId);
            bob.emit("answer", "{\"room_id\":\"sio\",\"sdp\":\"" + SDP + "\"}", 2);
            assertThat(alice.awaitEvent("answer").get("from").asText()).isEqualTo(bobId);
            bob.emit("candidate", "{\"room_id\":\"sio\",\"candidate\":" + CANDIDATE + "}", 3);
            assertThat(alice.awaitEvent("candidate").at("/candidate/sdpMLineIndex").asInt()).isZero();
            alice.emit("message", "{\"room_id\":\"sio\",\"message\":\"hi bob\",\"sender\":\"Alice\"}", 3);
            assertThat(bob.awaitEvent("message").get("message").asText()).isEqualTo("hi bob");
            bob.emit("leave", "{\"room_id\":\"sio\"}", 4);
            assertThat(bob.awaitAck(4).get("ok").asBoolean()).isTrue();
            assertThat(alice.awaitEvent("peer-left").get("peer_id").asText()).isEqualTo(bobId);
        }
    }

    @Test
    void capacityCountsEveryNodeAndOnlyNodesWithMembersSubscribe() throws Exception {
        LecternServer a = node("a", 2);
        LecternServer b = node("b", 2);
        LecternServer c = node("c", 2);
        WsClient alice = client(a, "alice");
        WsClient bob = client(b, "bob");
        WsClient carol = client(c, "carol");
        join(alice, "full");
        assertThat(channels()).containsExactly(prefix + "room:full");
        assertThat(subscribers("full")).isEqualTo(1);
        join(bob, "full");
        assertThat(subscribers("full")).isEqualTo(2);
        carol.send("{\"event\":\"join\",\"data\":{\"room_id\":\"full\"},\"id\":3}");
        JsonNode refused = ack(carol, 3);
        assertThat(refused.get("ok").asBoolean()).isFalse();
        assertThat(refused.get("code").asText()).isEqualTo("room_full");
        // node c tried, was refused, and let go of the channel: only a and b hear the room
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> subscribers("full") == 2);
        assertThat(c.signaling().service().rooms().roomCount()).isZero();

        alice.abort(); // a disconnect leaves the room on every node
        assertThat(event(bob, "peer-left").get("user_id").asText()).isEqualTo("alice");
        join(carol, "full");
        assertThat(event(bob, "peer-joined").get("user_id").asText()).isEqualTo("carol");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> subscribers("full") == 2);
        bob.send("{\"event\":\"leave\",\"data\":{\"room_id\":\"full\"},\"id\":4}");
        ack(bob, 4);
        carol.send("{\"event\":\"leave\",\"data\":{\"room_id\":\"full\"},\"id\":4}");
        ack(carol, 4);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> channels().isEmpty());
    }

    @Test
    void aBurstKeepsItsOrderAcrossNodesAndNobodyGetsAnEventTwice() throws Exception {
        // a stress burst of 1000 messages from one socket: far over a user's chat budget (#19), raised here
        LecternServer a = node("a", TestServices.redisUrl(), 3, UNLIMITED_BUDGETS);
        LecternServer b = node("b", TestServices.redisUrl(), 3, UNLIMITED_BUDGETS);
        WsClient alice = client(a, "alice");
        WsClient carol = client(a, "carol");
        WsClient bob = client(b, "bob");
        join(alice, "burst");
        join(carol, "burst");
        join(bob, "burst");
        event(alice, "peer-joined");
        event(alice, "peer-joined");
        event(carol, "peer-joined");
        int n = 1000;
        for (int i = 0; i < n; i++) {
            send(alice, "burst", "m" + i);
        }
        send(alice, "burst", "end");
        for (WsClient c : List.of(bob, carol, alice)) {
            List<String> got = new ArrayList<>();
            while (true) {
                String m = event(c, "message").get("message").asText();
                if (m.equals("end")) {
                    break;
                }
                got.add(m);
            }
            assertThat(got).hasSize(n);
            for (int i = 0; i < n; i++) {
                assertThat(got.get(i)).isEqualTo("m" + i);
            }
        }
        // nothing more arrives: no echo of a node's own events, no second copy
        send(bob, "burst", "from-b");
        assertThat(event(carol, "message").get("message").asText()).isEqualTo("from-b");
        assertThat(event(alice, "message").get("message").asText()).isEqualTo("from-b");
        assertThat(event(bob, "message").get("message").asText()).isEqualTo("from-b");
        send(alice, "burst", "last");
        assertThat(event(bob, "message").get("message").asText()).isEqualTo("last");
        assertThat(event(carol, "message").get("message").asText()).isEqualTo("last");
    }

    @Test
    void anEventFromAnotherLifeOfTheSameNodeNameIsNotTakenForAnEcho() throws Exception {
        LecternServer a = node("a", 3);
        WsClient alice = client(a, "alice");
        join(alice, "lives");
        // what a node "a" that ran before this one (another incarnation) published: delivered, not dropped as
        // this node's own echo, which is recognised by its first bytes
        try (Jedis jedis = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            assertThat(jedis.publish(prefix + "room:lives", "{\"o\":\"a\",\"i\":\"earlier\",\"s\":1,"
                    + "\"e\":\"message\",\"d\":{\"room_id\":\"lives\",\"message\":\"old\",\"sender\":\"x\"}}"))
                    .isEqualTo(1);
        }
        assertThat(event(alice, "message").get("message").asText()).isEqualTo("old");
        send(alice, "lives", "new"); // and this life's own: once, from the local delivery
        assertThat(event(alice, "message").get("message").asText()).isEqualTo("new");
        send(alice, "lives", "newer");
        assertThat(event(alice, "message").get("message").asText()).isEqualTo("newer");
    }

    @Test
    void aKilledNodesPeersLeaveTheirRoomsWithinThePingTimeout() throws Exception {
        LecternServer a = node("a", 2);
        int port = TestServices.freePort();
        Process c = launchNode("killed", port);
        cleanup.add(c::destroyForcibly);
        WsClient alice = client(a, "alice");
        join(alice, "doomed");
        WsClient dave = awaitClient(port, "dave", c);
        JsonNode joined = join(dave, "doomed");
        JsonNode peerJoined = event(alice, "peer-joined");
        assertThat(peerJoined.get("user_id").asText()).isEqualTo("dave");

        c.destroyForcibly(); // no leave, no goodbye: its heartbeat simply stops
        long killed = System.nanoTime();
        JsonNode left = event(alice, "peer-left");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertThat(left.get("peer_id").asText()).isEqualTo(peerJoined.get("peer_id").asText());
        assertThat(left.get("user_id").asText()).isEqualTo("dave");
        assertThat(tookMillis).as("peer-left after the kill").isLessThan(PING_TIMEOUT_MILLIS + PING_INTERVAL_MILLIS + 1000);
        assertThat(joined.get("peers").get(0).get("user_id").asText()).isEqualTo("alice");
        // the room has room for someone else now, on any node
        join(client(a, "erin"), "doomed");
    }

    @Test
    void aNodeThatStopsOrComesBackUnderItsOldNameLeavesNoGhostsBehind() throws Exception {
        LecternServer b = node("b", 3);
        leftByAnEarlierLifeOfA("ghosts", "ghost-peer", "ghost");
        WsClient bob = client(b, "bob");
        assertThat(join(bob, "ghosts").at("/peers/0/user_id").asText()).isEqualTo("ghost");

        LecternServer a = node("a", 3); // restarted under the same name: its old members are removed and announced
        JsonNode left = event(bob, "peer-left");
        assertThat(left.get("peer_id").asText()).isEqualTo("ghost-peer");
        WsClient alice = client(a, "alice");
        join(alice, "ghosts");
        assertThat(event(bob, "peer-joined").get("user_id").asText()).isEqualTo("alice");

        a.close(); // a graceful stop: its peers leave at once
        assertThat(event(bob, "peer-left").get("user_id").asText()).isEqualTo("alice");
        assertThat(b.signaling().service().rooms().usersIn("ghosts")).containsExactly("bob");
    }

    @Test
    void anEarlierLifesMembersAreAnnouncedGoneEvenWhenRedisComesOnlyAfterTheNode() throws Exception {
        LecternServer b = node("b", 3);
        leftByAnEarlierLifeOfA("late", "old-peer", "old");
        WsClient bob = client(b, "bob");
        assertThat(join(bob, "late").at("/peers/0/user_id").asText()).isEqualTo("old");

        // "a" comes back while its way to Redis is still down: nothing can be removed or announced yet
        TcpProxy proxy = new TcpProxy(TestServices.REDIS_HOST, TestServices.REDIS_PORT).start();
        cleanup.add(proxy);
        proxy.cut();
        node("a", "redis://127.0.0.1:" + proxy.port(), 3);
        Thread.sleep(500);
        proxy.start(); // the same port again: once a's connections are back, the old member is reaped and announced
        JsonNode left = event(bob, "peer-left");
        assertThat(left.get("peer_id").asText()).isEqualTo("old-peer");
        assertThat(b.signaling().service().rooms().usersIn("late")).containsExactly("bob");
    }

    /** What node "a" left in Redis when it was killed in an earlier life: a member of a room. */
    private void leftByAnEarlierLifeOfA(String room, String peer, String user) {
        try (Jedis jedis = new Jedis(TestServices.REDIS_HOST, TestServices.REDIS_PORT)) {
            jedis.hset(prefix + "room:" + room + ":members", peer,
                    "{\"n\":\"a\",\"i\":\"gone\",\"u\":\"" + user + "\",\"h\":false}");
            jedis.sadd(prefix + "node:a:rooms", room);
        }
    }

    private Process launchNode(String nodeId, int port) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dlogback.configurationFile=" + TestConfigs.home().resolve("config/logback.xml"),
                Main.class.getName(), "--config", TestConfigs.defaultFile().toString()));
        pb.environment().keySet().removeIf(k -> k.startsWith("LECTERN_"));
        pb.environment().putAll(nodeEnv(nodeId, TestServices.redisUrl(), 2));
        pb.environment().put("LECTERN_STORAGE__DATA_DIR", data.resolve(nodeId).toString());
        pb.environment().put("LECTERN_HISTORY__COMPANIONS_FILE",
                TestConfigs.home().resolve("config/companions.yaml").toString());
        pb.environment().put("LECTERN_HTTP__HOST", "127.0.0.1");
        pb.environment().put("LECTERN_HTTP__PORT", Integer.toString(port));
        pb.environment().put("LECTERN_SIGNALING__PORT", Integer.toString(port));
        pb.redirectErrorStream(true);
        pb.redirectOutput(data.resolve(nodeId + ".log").toFile());
        return pb.start();
    }

    private WsClient awaitClient(int port, String user, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return client(port, user);
            } catch (Exception e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("node process did not come up; log in " + data, e);
                }
                Thread.sleep(200);
            }
        }
    }

    @Test
    void withRedisCutLocalRoomsGoOnAndCrossNodeDeliveryResumesAfterwards() throws Exception {
        TcpProxy proxy = new TcpProxy(TestServices.REDIS_HOST, TestServices.REDIS_PORT).start();
        cleanup.add(proxy);
        LecternServer a = node("a", "redis://127.0.0.1:" + proxy.port(), 2);
        LecternServer b = node("b", 2);
        HttpJson httpA = new HttpJson(a.httpPort());
        WsClient alice = client(a, "alice");
        WsClient carol = client(a, "carol");
        WsClient bob = client(b, "bob");
        join(alice, "local");
        join(carol, "local");
        join(alice, "split");
        join(bob, "split");
        event(alice, "peer-joined");
        assertThat(httpA.get("/api/health", null).body().at("/components/cluster/status").asText()).isEqualTo("up");

        proxy.cut();
        send(alice, "local", "still here");
        assertThat(event(carol, "message").get("message").asText()).isEqualTo("still here");
        send(alice, "split", "to bob, locally");
        assertThat(event(alice, "message").get("message").asText()).isEqualTo("still here");
        assertThat(event(alice, "message").get("message").asText()).isEqualTo("to bob, locally");
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() ->
                "down".equals(httpA.get("/api/health", null).body().at("/components/cluster/status").asText()));
        JsonNode health = httpA.get("/api/health", null).body();
        assertThat(health.at("/components/cluster/detail").asText()).contains("redis unavailable");
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() ->
                httpA.get("/metrics", null).raw().body().contains("lectern_cluster_publish_held 1.0"));

        proxy.start();
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() ->
                httpA.get("/api/health", null).status() == 200);
        // what alice sent to the split room meanwhile was held on node a, and reaches bob now
        assertThat(event(bob, "message").get("message").asText()).isEqualTo("to bob, locally");
        // cross-node delivery resumes: the subscription is back and publishing works again
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> subscribers("split") == 2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        String got = null;
        for (int i = 0; got == null && System.nanoTime() < deadline; i++) {
            String want = "again " + i;
            send(alice, "split", want);
            for (JsonNode f = nextFrame(bob, 300); f != null && got == null; f = nextFrame(bob, 300)) {
                if (want.equals(f.at("/data/message").asText())) {
                    got = want;
                }
            }
        }
        assertThat(got).as("a message crossed nodes after the outage").isNotNull();
        send(bob, "split", "back to alice");
        while (!event(alice, "message").get("message").asText().equals("back to alice")) {
            // skip alice's own copies of her retries
        }
    }

    @Test
    void aSocketIoClientResumesOnAnotherNodeWithWhatItMissedWhileAway() throws Exception {
        Map<String, String> ping = Map.of("LECTERN_SIGNALING__PING_INTERVAL_MILLIS", "25000",
                "LECTERN_SIGNALING__PING_TIMEOUT_MILLIS", "20000");
        LecternServer a = node("a", TestServices.redisUrl(), 2, ping);
        LecternServer b = node("b", TestServices.redisUrl(), 2, ping);
        WsClient alice = client(a, "alice");
        String aliceId = join(alice, "resume").get("peer_id").asText();

        WsClient sam = socketIo(a);
        sam.send("40{\"user_id\":\"sam\"}");
        JsonNode connected = sioConnected(sam);
        String sid = connected.get("sid").asText();
        String pid = connected.get("pid").asText();
        assertThat(pid).startsWith("a:");
        sam.send("42[\"join\",{\"room_id\":\"resume\"}]");
        JsonNode joined = sioEvent(sam, "joined");
        String offset = joined.get(joined.size() - 1).asText();
        assertThat(event(alice, "peer-joined").get("peer_id").asText()).isEqualTo(sid);

        sam.abort(); // the transport drops; the socket waits on node a for its client
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> a.signaling().service().recoverableSockets() == 1);
        send(alice, "resume", "while away");

        WsClient back = socketIo(b); // the load balancer sends it to node b
        back.send("40{\"user_id\":\"sam\",\"pid\":\"" + pid + "\",\"offset\":\"" + offset + "\"}");
        JsonNode resumed = sioConnected(back);
        assertThat(resumed.get("sid").asText()).isEqualTo(sid);
        assertThat(resumed.get("pid").asText()).isEqualTo(pid);
        assertThat(sioEvent(back, "message").get(1).get("message").asText()).isEqualTo("while away");
        assertThat(a.signaling().service().recoverableSockets()).isZero();

        // b now serves sam in the room: both directions work, and alice never saw sam leave
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> subscribers("resume") == 2
                && b.signaling().service().rooms().usersIn("resume").contains("alice"));
        send(alice, "resume", "live");
        JsonNode live = sioEvent(back, "message");
        assertThat(live.get(1).get("message").asText()).isEqualTo("live");
        String liveOffset = live.get(live.size() - 1).asText();
        back.send("42[\"offer\",{\"room_id\":\"resume\",\"to\":\"" + aliceId + "\",\"sdp\":\"" + SDP + "\"}]");
        while (true) {
            JsonNode f = Json.MAPPER.readTree(alice.nextText());
            assertThat(f.path("event").asText()).isNotEqualTo("peer-left");
            if ("offer".equals(f.path("event").asText())) {
                assertThat(f.at("/data/from").asText()).isEqualTo(sid);
                break;
            }
        }
        // dropped again, it comes back on the node its private id names: that node knows where the socket went
        back.abort();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> b.signaling().service().recoverableSockets() == 1);
        send(alice, "resume", "away again");
        WsClient third = socketIo(a);
        third.send("40{\"user_id\":\"sam\",\"pid\":\"" + pid + "\",\"offset\":\"" + liveOffset + "\"}");
        assertThat(sioConnected(third).get("sid").asText()).isEqualTo(sid);
        assertThat(sioEvent(third, "message").get(1).get("message").asText()).isEqualTo("away again");

        // a resume with someone else's identity is refused: a new socket, not sam's, and sam's is over
        third.abort();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> a.signaling().service().recoverableSockets() == 1);
        WsClient mallory = socketIo(b);
        mallory.send("40{\"user_id\":\"mallory\",\"pid\":\"" + pid + "\",\"offset\":\"0\"}");
        assertThat(sioConnected(mallory).get("sid").asText()).isNotEqualTo(sid);
        assertThat(event(alice, "peer-left").get("peer_id").asText()).isEqualTo(sid);
    }

    @Test
    void aRedisOutageShorterThanTheBufferLosesNothingAndKeepsEachRoomsOrder() throws Exception {
        TcpProxy proxy = new TcpProxy(TestServices.REDIS_HOST, TestServices.REDIS_PORT).start();
        cleanup.add(proxy);
        String viaProxy = "redis://127.0.0.1:" + proxy.port();
        LecternServer a = node("a", viaProxy, 2, SLOW_PINGS);
        LecternServer b = node("b", viaProxy, 2, SLOW_PINGS);
        WsClient alice = sioJoined(a, "alice", "blink");
        WsClient bob = sioJoined(b, "bob", "blink");
        assertThat(sioEvent(alice, "peer-joined").get(1).get("user_id").asText()).isEqualTo("bob");
        sioSend(alice, "blink", "before");
        assertThat(sioEvent(bob, "message").get(1).get("message").asText()).isEqualTo("before");

        proxy.cut(); // both nodes lose Redis (pub/sub and the pool); the shared Redis goes on serving the others
        awaitCluster(a, "down");
        awaitCluster(b, "down");
        List<String> fromAlice = new ArrayList<>();
        List<String> fromBob = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            fromAlice.add(sioSend(alice, "blink", "a" + i));
            fromBob.add(sioSend(bob, "blink", "b" + i));
        }
        Thread.sleep(1500); // an outage of some seconds, longer than the heartbeat TTL: no node is reaped for it
        proxy.start();

        // everything sent meanwhile arrives after the reconnection, once each, in the order sent
        assertThat(messagesFrom(bob, "alice", 20)).containsExactlyElementsOf(fromAlice);
        assertThat(messagesFrom(alice, "bob", 20)).containsExactlyElementsOf(fromBob);
        assertThat(metric(a, "lectern_cluster_publish_dropped_total")).isZero();
        assertThat(metric(b, "lectern_cluster_publish_dropped_total")).isZero();
        awaitCluster(a, "up");
        // and the room goes on across nodes as before
        sioSend(alice, "blink", "after");
        assertThat(messagesFrom(bob, "alice", 1)).containsExactly("after");
    }

    @Test
    void eventsBeyondTheOutageBufferAreGivenUpAndTheirSendersTold() throws Exception {
        TcpProxy proxy = new TcpProxy(TestServices.REDIS_HOST, TestServices.REDIS_PORT).start();
        cleanup.add(proxy);
        String viaProxy = "redis://127.0.0.1:" + proxy.port();
        Map<String, String> small = new HashMap<>(SLOW_PINGS);
        small.putAll(UNLIMITED_BUDGETS); // 31 sends at once: more than a socket's burst of chat messages
        small.put("LECTERN_CLUSTER__OUTAGE_BUFFER_BYTES", "4000"); // room for about ten of these messages
        small.put("LECTERN_CLUSTER__OUTAGE_BUFFER_MILLIS", "1000");
        LecternServer a = node("a", viaProxy, 2, small);
        LecternServer b = node("b", viaProxy, 2, small);
        WsClient alice = sioJoined(a, "alice", "brink");
        WsClient bob = sioJoined(b, "bob", "brink");
        String bobSid = sioEvent(alice, "peer-joined").get(1).get("peer_id").asText();
        // bob's peer-joined reached alice; Redis's answer to b's PUBLISH may still be on its way: an event in flight
        // at the cut is held again and, the outage outlasting the buffer, given up and bob told (a race, not a test)
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                metric(a, "lectern_cluster_publish_unanswered") == 0
                        && metric(b, "lectern_cluster_publish_unanswered") == 0);

        proxy.cut();
        awaitCluster(a, "down");
        for (int i = 0; i < 30; i++) {
            sioSend(alice, "brink", "lost " + i);
        }
        alice.send("42[\"offer\",{\"room_id\":\"brink\",\"to\":\"" + bobSid + "\",\"sdp\":\"" + SDP + "\"}]");
        // over the bytes at once, the rest after a second: every one of the 31 is reported to alice, none silently
        List<JsonNode> errors = new ArrayList<>();
        while (errors.size() < 31) {
            JsonNode e = sioEvent(alice, "error").get(1);
            assertThat(e.get("code").asText()).isEqualTo("not_delivered");
            assertThat(e.get("room_id").asText()).isEqualTo("brink");
            errors.add(e);
        }
        assertThat(errors).filteredOn(e -> e.get("event").asText().equals("message")).hasSize(30);
        assertThat(errors).filteredOn(e -> e.get("event").asText().equals("offer"))
                .singleElement().satisfies(e -> assertThat(e.get("to").asText()).isEqualTo(bobSid));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                metric(a, "lectern_cluster_publish_dropped_total") == 31);

        proxy.start();
        awaitCluster(a, "up");
        awaitCluster(b, "up");
        // what was given up never arrives late: the first message bob gets is one sent after the outage
        sioSend(alice, "brink", "back");
        assertThat(messagesFrom(bob, "alice", 1)).containsExactly("back");
    }

    /** Per-socket event and chat budgets out of the way, for tests that send faster than a person types. */
    private static final Map<String, String> UNLIMITED_BUDGETS = Map.of(
            "LECTERN_SIGNALING__MESSAGES_PER_SECOND", "100000", "LECTERN_SIGNALING__MESSAGE_BURST", "100000",
            "LECTERN_SIGNALING__EVENTS_PER_SECOND", "100000", "LECTERN_SIGNALING__EVENT_BURST", "100000");
    private static final Map<String, String> SLOW_PINGS = Map.of("LECTERN_SIGNALING__PING_INTERVAL_MILLIS", "25000",
            "LECTERN_SIGNALING__PING_TIMEOUT_MILLIS", "20000");

    /** A Socket.IO client of {@code user} on the node, joined to the room. */
    private WsClient sioJoined(LecternServer node, String user, String room) throws Exception {
        WsClient c = socketIo(node);
        c.send("40{\"user_id\":\"" + user + "\"}");
        sioConnected(c);
        c.send("42[\"join\",{\"room_id\":\"" + room + "\"}]");
        sioEvent(c, "joined");
        return c;
    }

    private static String sioSend(WsClient c, String room, String message) throws Exception {
        c.send("42[\"message\",{\"room_id\":\"" + room + "\",\"message\":\"" + message
                + "\",\"sender\":\"x\"}]");
        return message;
    }

    /**
     * The next {@code n} chat messages from {@code user}, in the order received; fails on a {@code peer-left} or an
     * {@code error} meanwhile (nothing was to be lost or reported).
     */
    private static List<String> messagesFrom(WsClient c, String user, int n) throws Exception {
        List<String> got = new ArrayList<>();
        while (got.size() < n) {
            String f = c.nextText();
            if (!f.startsWith("42")) {
                continue;
            }
            JsonNode array = Json.MAPPER.readTree(f.substring(2));
            String name = array.get(0).asText();
            assertThat(name).as("event while waiting for messages: %s", f).isNotIn("peer-left", "error");
            if (name.equals("message") && user.equals(array.get(1).get("user_id").asText())) {
                got.add(array.get(1).get("message").asText());
            }
        }
        return got;
    }

    private void awaitCluster(LecternServer node, String status) {
        HttpJson h = new HttpJson(node.httpPort());
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() ->
                status.equals(h.get("/api/health", null).body().at("/components/cluster/status").asText()));
    }

    private static double metric(LecternServer node, String name) throws Exception {
        for (String line : new HttpJson(node.httpPort()).get("/metrics", null).raw().body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name);
    }

    private WsClient socketIo(LecternServer node) throws Exception {
        WsClient c = WsClient.connect(http, "ws://127.0.0.1:" + node.signalingPort()
                + "/socket.io/?EIO=4&transport=websocket");
        cleanup.add(c::abort);
        assertThat(c.nextText()).startsWith("0{");
        return c;
    }

    /** The CONNECT reply's payload. */
    private static JsonNode sioConnected(WsClient c) throws Exception {
        while (true) {
            String f = c.nextText();
            if (f.startsWith("40")) {
                return Json.MAPPER.readTree(f.substring(2));
            }
        }
    }

    /** The next EVENT with this name, as its whole array (name, data, offset). */
    private static JsonNode sioEvent(WsClient c, String name) throws Exception {
        while (true) {
            String f = c.nextText();
            if (f.startsWith("42")) {
                JsonNode array = Json.MAPPER.readTree(f.substring(2));
                if (name.equals(array.get(0).asText())) {
                    return array;
                }
            }
        }
    }

    /** The next frame within the wait, or null. */
    private static JsonNode nextFrame(WsClient c, long millis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            Object f = c.frames.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (f == null) {
                return null;
            }
            if (f instanceof String s && !s.equals("2")) {
                return Json.MAPPER.readTree(s);
            }
        }
    }
}

package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tutoring rooms end to end: the production wiring in development mode, /ws from Java and socket.io-client from npm. */
class SignalingRoomsIntegrationTest {
    private static final String SDP = "v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n";
    private static final String CANDIDATE = "{\"candidate\":\"candidate:842163049 1 udp 1677729535 192.0.2.7 3478 typ srflx"
            + " raddr 0.0.0.0 rport 0 generation 0\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_SIGNALING__DEV_MODE", "true", "LECTERN_SIGNALING__AD_HOC_ROOMS", "true",
                "LECTERN_SIGNALING__RECOVERY_WINDOW_MILLIS", "0",
                "LECTERN_HTTP__CORS__ALLOWED_ORIGINS", "https://app.example.com")), Map.of());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String ws(String pathAndQuery) {
        return "ws://127.0.0.1:" + server.signalingPort() + pathAndQuery;
    }

    private static JsonNode frame(WsClient c) throws Exception {
        return Json.MAPPER.readTree(c.nextText());
    }

    /** The next /ws frame carrying this event (acks and other events in between are skipped). */
    private static JsonNode event(WsClient c, String event) throws Exception {
        while (true) {
            JsonNode f = frame(c);
            if (event.equals(f.path("event").asText(null))) {
                return f.get("data");
            }
        }
    }

    private static JsonNode ack(WsClient c, int id) throws Exception {
        while (true) {
            JsonNode f = frame(c);
            if (f.has("ack") && f.get("ack").asInt() == id) {
                return f.get("data");
            }
        }
    }

    @Test
    void twoJsonPeersSignalChatAndSeeEachOtherLeave() throws Exception {
        WsClient alice = WsClient.connect(http, ws("/ws?user_id=alice"));
        WsClient bob = WsClient.connect(http, ws("/ws?user_id=bob"));
        alice.send("{\"event\":\"join\",\"data\":{\"room_id\":\"lesson-1\",\"is_host\":true},\"id\":1}");
        JsonNode joinedA = event(alice, "joined");
        assertThat(joinedA.get("peers")).isEmpty();
        assertThat(joinedA.get("ice_servers").get(0).get("urls").get(0).asText()).startsWith("stun:");
        assertThat(ack(alice, 1).get("room_id").asText()).isEqualTo("lesson-1");

        bob.send("{\"event\":\"join\",\"data\":{\"room_id\":\"lesson-1\"},\"id\":1}");
        JsonNode joinedB = event(bob, "joined");
        String bobId = joinedB.get("peer_id").asText();
        String aliceId = joinedB.get("peers").get(0).get("peer_id").asText();
        assertThat(joinedB.get("peers").get(0).get("user_id").asText()).isEqualTo("alice");
        assertThat(event(alice, "peer-joined").get("peer_id").asText()).isEqualTo(bobId);

        alice.send("{\"event\":\"offer\",\"data\":{\"room_id\":\"lesson-1\",\"sdp\":\"" + SDP + "\"}}");
        JsonNode offer = event(bob, "offer");
        assertThat(offer.get("sdp").asText()).startsWith("v=0");
        assertThat(offer.get("from").asText()).isEqualTo(aliceId);
        bob.send("{\"event\":\"answer\",\"data\":{\"room_id\":\"lesson-1\",\"to\":\"" + aliceId + "\",\"sdp\":\"" + SDP + "\"}}");
        assertThat(event(alice, "answer").get("from").asText()).isEqualTo(bobId);
        bob.send("{\"event\":\"candidate\",\"data\":{\"room_id\":\"lesson-1\",\"candidate\":" + CANDIDATE + "}}");
        assertThat(event(alice, "candidate").get("candidate").get("sdpMLineIndex").asInt()).isZero();

        // invalid SDP: an error to the sender, nothing to the other peer (the chat below is the next thing bob sees)
        alice.send("{\"event\":\"offer\",\"data\":{\"room_id\":\"lesson-1\",\"sdp\":\"not sdp\"},\"id\":7}");
        assertThat(event(alice, "error").get("code").asText()).isEqualTo("invalid_sdp");
        assertThat(ack(alice, 7).get("ok").asBoolean()).isFalse();
        alice.send("{\"event\":\"message\",\"data\":{\"room_id\":\"lesson-1\",\"message\":\"hello\",\"sender\":\"Alice\"}}");
        JsonNode chat = frame(bob);
        assertThat(chat.get("event").asText()).isEqualTo("message");
        assertThat(chat.get("data").get("message").asText()).isEqualTo("hello");

        alice.abort();
        JsonNode left = event(bob, "peer-left");
        assertThat(left.get("peer_id").asText()).isEqualTo(aliceId);
        bob.send("{\"event\":\"leave\",\"data\":{\"room_id\":\"lesson-1\"},\"id\":2}");
        assertThat(ack(bob, 2).get("ok").asBoolean()).isTrue();
    }

    @Test
    void jsonDialectRefusesMissingIdentityForeignOriginsAndGarbage() throws Exception {
        assertRefused(http.newWebSocketBuilder(), ws("/ws"), 401);
        assertRefused(http.newWebSocketBuilder(), ws("/ws?token=forged"), 401);
        assertRefused(http.newWebSocketBuilder().header("Origin", "https://evil.example"), ws("/ws?user_id=a"), 403);
        WsClient listed = new WsClient();
        listed.ws = http.newWebSocketBuilder().header("Origin", "https://app.example.com")
                .buildAsync(URI.create(ws("/ws?user_id=a")), listed).get(10, TimeUnit.SECONDS);
        listed.send("not json");
        listed.awaitClose();
        assertThat(listed.closed.get()).isEqualTo(1007);
    }

    private static void assertRefused(java.net.http.WebSocket.Builder b, String url, int status) throws Exception {
        CompletableFuture<?> f = b.buildAsync(URI.create(url), new WsClient()).toCompletableFuture();
        try {
            f.get(10, TimeUnit.SECONDS);
            throw new AssertionError(url + " was accepted");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
            assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode()).isEqualTo(status);
        }
    }

    @Test
    void socketIoConnectWithABadTokenGetsAnObjectConnectError() throws Exception {
        WsClient c = WsClient.connect(http, ws("/socket.io/?EIO=4&transport=websocket"));
        c.next();
        c.send("40{\"token\":\"forged\"}");
        assertThat(c.nextText()).isEqualTo("44{\"message\":\"unauthorized\"}");
        c.send("40{}");
        assertThat(c.nextText()).isEqualTo("44{\"message\":\"unauthorized\"}");
        c.send("40{\"user_id\":\"carol\"}");
        assertThat(c.nextText()).startsWith("40{\"sid\":");
    }

    @Test
    void pollingFromAForeignOriginIsRefused() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.signalingPort() + "/socket.io/?EIO=4&transport=polling"))
                .header("Origin", "https://evil.example").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(403);
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.httpPort() + "/socket.io/?EIO=4&transport=polling"))
                .header("Origin", "https://app.example.com").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("access-control-allow-origin")).contains("https://app.example.com");
    }

    @Test
    void twoSocketIoClientsSignalChatAndSeePeerLeftWhenOneDrops() throws Exception {
        NodePeer.assumeAvailable();
        String url = "http://127.0.0.1:" + server.signalingPort();
        try (NodePeer alice = new NodePeer(url, "{\"user_id\":\"alice\"}", "polling,websocket");
                NodePeer bob = new NodePeer(url, "{\"user_id\":\"bob\"}", "websocket")) {
            alice.awaitKey("connect");
            bob.awaitKey("connect");
            alice.emit("join", "{\"room_id\":\"r-42\",\"is_host\":true}", 1);
            assertThat(alice.awaitAck(1).get("room_id").asText()).isEqualTo("r-42");
            bob.emit("join", "{\"room_id\":\"r-42\"}", 1);
            JsonNode joined = bob.awaitEvent("joined");
            String aliceId = joined.get("peers").get(0).get("peer_id").asText();
            String bobId = joined.get("peer_id").asText();
            assertThat(alice.awaitEvent("peer-joined").get("user_id").asText()).isEqualTo("bob");

            alice.emit("offer", "{\"room_id\":\"r-42\",\"sdp\":\"" + SDP + "\"}", 2);
            assertThat(bob.awaitEvent("offer").get("from").asText()).isEqualTo(aliceId);
            bob.emit("answer", "{\"room_id\":\"r-42\",\"to\":\"" + aliceId + "\",\"sdp\":\"" + SDP + "\"}", 2);
            assertThat(alice.awaitEvent("answer").get("from").asText()).isEqualTo(bobId);
            alice.emit("candidate", "{\"room_id\":\"r-42\",\"candidate\":" + CANDIDATE + "}", 3);
            assertThat(bob.awaitEvent("candidate").get("candidate").get("candidate").asText()).startsWith("candidate:");
            bob.emit("message", "{\"room_id\":\"r-42\",\"message\":\"hi tutor\",\"sender\":\"Bob\"}", 4);
            assertThat(alice.awaitEvent("message").get("message").asText()).isEqualTo("hi tutor");
            assertThat(bob.awaitAck(4).get("ok").asBoolean()).isTrue();
            bob.emit("offer", "{\"room_id\":\"elsewhere\",\"sdp\":\"" + SDP + "\"}", 5);
            assertThat(bob.awaitEvent("error").get("code").asText()).isEqualTo("not_in_room");

            alice.command("{\"drop\":true}");
            assertThat(bob.awaitEvent("peer-left").get("peer_id").asText()).isEqualTo(aliceId);
        }
    }

    @Test
    void socketIoClientWithoutIdentityIsRefused() throws Exception {
        NodePeer.assumeAvailable();
        try (NodePeer anon = new NodePeer("http://127.0.0.1:" + server.signalingPort(), "{\"token\":\"bad\"}",
                "websocket")) {
            assertThat(anon.awaitKey("connect_error").asText()).isEqualTo("unauthorized");
        }
    }
}

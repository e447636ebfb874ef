package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.server.LecternServer;
import dev.lectern.server.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviours of the official Engine.IO v4 / Socket.IO v5 suites, against the conformance wiring on port 0, with
 * raw HTTP and WebSocket from Java (CI cannot fetch the suites).
 */
class EngineIoProtocolIntegrationTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;

    @BeforeEach
    void start() {
        server = TestServers.conformance();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.signalingPort() + path;
    }

    private String ws(String path) {
        return "ws://127.0.0.1:" + server.signalingPort() + path;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String openPolling(String prefix) throws Exception {
        HttpResponse<String> r = get(prefix + "?EIO=4&transport=polling");
        assertThat(r.statusCode()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body().substring(1)).get("sid").asText();
    }

    @Test
    void pollingHandshakeAdvertisesEveryKey() throws Exception {
        HttpResponse<String> r = get("/socket.io/?EIO=4&transport=polling");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("0");
        JsonNode open = Json.MAPPER.readTree(r.body().substring(1));
        assertThat(open.fieldNames()).toIterable()
                .containsExactlyInAnyOrder("sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload");
        assertThat(open.get("sid").asText()).hasSize(20);
        assertThat(open.get("upgrades").get(0).asText()).isEqualTo("websocket");
        assertThat(open.get("pingInterval").asInt()).isEqualTo(300);
        assertThat(open.get("pingTimeout").asInt()).isEqualTo(200);
        assertThat(open.get("maxPayload").asInt()).isEqualTo(1_000_000);
    }

    @Test
    void badParametersAndMethodsGet400() throws Exception {
        for (String q : new String[] {"?transport=polling", "?EIO=abc&transport=polling", "?EIO=3&transport=polling",
                "?EIO=4", "?EIO=4&transport=abc", "?EIO=4&transport=polling&sid=nope"}) {
            assertThat(get("/socket.io/" + q).statusCode()).as(q).isEqualTo(400);
        }
        assertThat(post("/socket.io/?EIO=4&transport=polling", "").statusCode()).isEqualTo(400);
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(url("/engine.io/?EIO=4&transport=polling")))
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(400);
    }

    @Test
    void pollingEchoesTextAndBinaryPackets() throws Exception {
        String sid = openPolling("/engine.io/");
        HttpResponse<String> push = post("/engine.io/?EIO=4&transport=polling&sid=" + sid, "4hello\u001ebAQIDBA==");
        assertThat(push.statusCode()).isEqualTo(200);
        assertThat(push.body()).isEqualTo("ok");
        assertThat(get("/engine.io/?EIO=4&transport=polling&sid=" + sid).body()).isEqualTo("4hello\u001ebAQIDBA==");
    }

    @Test
    void pollingHeartbeatAndPingTimeout() throws Exception {
        String sid = openPolling("/engine.io/");
        for (int i = 0; i < 2; i++) {
            assertThat(get("/engine.io/?EIO=4&transport=polling&sid=" + sid).body()).isEqualTo("2");
            assertThat(post("/engine.io/?EIO=4&transport=polling&sid=" + sid, "3").statusCode()).isEqualTo(200);
        }
        // no pong this time: the next poll gets the ping, then the session is gone
        assertThat(get("/engine.io/?EIO=4&transport=polling&sid=" + sid).body()).isEqualTo("2");
        HttpResponse<String> after;
        do {
            after = get("/engine.io/?EIO=4&transport=polling&sid=" + sid);
        } while (after.statusCode() == 200);
        assertThat(after.statusCode()).isEqualTo(400);
    }

    @Test
    void invalidPollingBodyClosesTheSession() throws Exception {
        String sid = openPolling("/engine.io/");
        assertThat(post("/engine.io/?EIO=4&transport=polling&sid=" + sid, "abc").statusCode()).isEqualTo(400);
        assertThat(get("/engine.io/?EIO=4&transport=polling&sid=" + sid).statusCode()).isEqualTo(400);
    }

    @Test
    void clientCloseAnswersThePendingPollWithNoop() throws Exception {
        String sid = openPolling("/engine.io/");
        CompletableFuture<HttpResponse<String>> poll = http.sendAsync(HttpRequest.newBuilder(
                URI.create(url("/engine.io/?EIO=4&transport=polling&sid=" + sid))).build(),
                HttpResponse.BodyHandlers.ofString());
        // the close may arrive before the GET is pending; either way the GET ends with 6 or 400, and the sid is gone
        assertThat(post("/engine.io/?EIO=4&transport=polling&sid=" + sid, "1").statusCode()).isEqualTo(200);
        HttpResponse<String> r = poll.get();
        assertThat(r.statusCode() == 200 ? r.body() : "400").isIn("6", "400");
        assertThat(get("/engine.io/?EIO=4&transport=polling&sid=" + sid).statusCode()).isEqualTo(400);
    }

    @Test
    void webSocketSessionEchoesAndPings() throws Exception {
        WsClient c = WsClient.connect(http, ws("/engine.io/?EIO=4&transport=websocket"));
        String open = (String) c.next();
        JsonNode hs = Json.MAPPER.readTree(open.substring(1));
        assertThat(hs.get("upgrades")).isEmpty();
        c.send("4hello");
        assertThat(c.next()).isEqualTo("4hello");
        c.sendBinary(new byte[] {1, 2, 3, 4});
        assertThat((byte[]) c.next()).containsExactly(1, 2, 3, 4);
        assertThat(c.next()).isEqualTo("2");
        c.send("3");
        assertThat(c.next()).isEqualTo("2");
        // no pong: the server closes
        c.awaitClose();
    }

    @Test
    void fragmentedWebSocketMessagesAreReassembledWithinTheLimit() throws Exception {
        WsClient c = WsClient.connect(http, ws("/engine.io/?EIO=4&transport=websocket"));
        c.next(); // open
        c.sendFragmented("4hel", "lo ", "world");
        assertThat(c.next()).isEqualTo("4hello world");
        c.sendFragmented("4again", "!");
        assertThat(c.next()).isEqualTo("4again!");
        c.send("4whole");
        assertThat(c.next()).isEqualTo("4whole");
        // a message over maxPayload (1,000,000 in the conformance wiring) in fragments that are each under it
        String half = "x".repeat(600_000);
        try {
            c.sendFragmented("4" + half, half);
        } catch (java.util.concurrent.ExecutionException closedWhileSending) {
            // the server may close before the last fragment is written
        }
        c.awaitClose();
    }

    @Test
    void webSocketWithBadParametersIsRefused() throws Exception {
        for (String q : new String[] {"?transport=websocket", "?EIO=abc&transport=websocket", "?EIO=4&transport=abc",
                "?EIO=4&transport=websocket&sid=unknown"}) {
            CompletableFuture<?> f = http.newWebSocketBuilder().buildAsync(URI.create(ws("/engine.io/" + q)),
                    new WsClient()).toCompletableFuture();
            assertThat(f).as(q).failsWithin(Duration.ofSeconds(10));
        }
    }

    @Test
    void upgradeFromPollingToWebSocket() throws Exception {
        String sid = openPolling("/engine.io/");
        WsClient c = WsClient.connect(http, ws("/engine.io/?EIO=4&transport=websocket&sid=" + sid));
        c.send("2probe");
        assertThat(c.next()).isEqualTo("3probe");
        assertThat(get("/engine.io/?EIO=4&transport=polling&sid=" + sid).body()).isEqualTo("6");
        c.send("5");
        c.send("4hello");
        assertThat(c.nextText()).isEqualTo("4hello");
        assertThat(get("/engine.io/?EIO=4&transport=polling&sid=" + sid).statusCode()).isEqualTo(400);
        WsClient second = WsClient.connect(http, ws("/engine.io/?EIO=4&transport=websocket&sid=" + sid));
        second.awaitClose();
        c.send("4still");
        assertThat(c.nextText()).isEqualTo("4still");
        c.send("1");
        c.awaitClose();
    }

    @Test
    void socketIoNamespacesAuthAndConnectErrors() throws Exception {
        WsClient c = WsClient.connect(http, ws("/socket.io/?EIO=4&transport=websocket"));
        c.next();
        c.send("40{\"token\":\"123\"}");
        String connect = c.nextText();
        assertThat(connect).startsWith("40{");
        assertThat(Json.MAPPER.readTree(connect.substring(2)).fieldNames()).toIterable().containsExactly("sid");
        assertThat(c.nextText()).isEqualTo("42[\"auth\",{\"token\":\"123\"}]");
        c.send("40/custom,");
        assertThat(c.nextText()).startsWith("40/custom,{\"sid\":");
        assertThat(c.nextText()).isEqualTo("42/custom,[\"auth\",{}]");
        c.send("40/random");
        assertThat(c.nextText()).isEqualTo("44/random,{\"message\":\"Invalid namespace\"}");
        c.send("41/custom,");
        c.send("42[\"message\",1,\"2\",{\"3\":[true]}]");
        assertThat(c.nextText()).isEqualTo("42[\"message-back\",1,\"2\",{\"3\":[true]}]");
        c.send("42456[\"message-with-ack\",1,\"2\",{\"3\":[false]}]");
        assertThat(c.nextText()).isEqualTo("43456[1,\"2\",{\"3\":[false]}]");
    }

    @Test
    void binaryAttachmentsAreReassembledAndEchoed() throws Exception {
        WsClient c = socketIo();
        c.send("452-789[\"message-with-ack\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
        c.sendBinary(new byte[] {1, 2, 3});
        c.sendBinary(new byte[] {4, 5, 6});
        assertThat(c.nextText()).isEqualTo("462-789[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
        assertThat((byte[]) c.next()).containsExactly(1, 2, 3);
        assertThat((byte[]) c.next()).containsExactly(4, 5, 6);
    }

    @Test
    void malformedSocketIoPacketsCloseTheConnection() throws Exception {
        for (String bad : new String[] {"4abc", "42{}", "42abc[\"message-with-ack\",1]", "45x-[\"a\"]"}) {
            WsClient c = socketIo();
            c.send(bad);
            c.awaitClose();
        }
        WsClient beforeConnect = WsClient.connect(http, ws("/socket.io/?EIO=4&transport=websocket"));
        beforeConnect.next();
        beforeConnect.send("4abc");
        beforeConnect.awaitClose();
    }

    @Test
    void noConnectWithinTheTimeoutClosesTheConnection() throws Exception {
        WsClient c = WsClient.connect(http, ws("/socket.io/?EIO=4&transport=websocket"));
        c.next();
        c.awaitClose();
    }

    private WsClient socketIo() throws Exception {
        WsClient c = WsClient.connect(http, ws("/socket.io/?EIO=4&transport=websocket"));
        c.next();
        c.send("40");
        assertThat(c.nextText()).startsWith("40{\"sid\":");
        assertThat(c.nextText()).isEqualTo("42[\"auth\",{}]");
        return c;
    }
}

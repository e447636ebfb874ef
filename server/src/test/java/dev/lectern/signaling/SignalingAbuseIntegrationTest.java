package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #19 items 6 and 7, against the real server with raw clients: one socket could send events and chat messages
 * without limit and join any number of rooms, and anyone could open Engine.IO sessions that never connect to a
 * namespace (each held for 45 s). Now each connection has token buckets (events, chat messages), a cap on rooms,
 * and sessions without CONNECT are capped per client address.
 */
class SignalingAbuseIntegrationTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(Map<String, String> overrides) {
        java.util.Map<String, String> o = new java.util.HashMap<>(Map.of("LECTERN_SIGNALING__DEV_MODE", "true",
                "LECTERN_SIGNALING__AD_HOC_ROOMS", "true"));
        o.putAll(overrides);
        server = LecternServer.start(TestConfigs.defaults(o), Map.of());
    }

    private WsClient connected(String user) throws Exception {
        WsClient c = WsClient.connect(http, "ws://127.0.0.1:" + server.signalingPort()
                + "/socket.io/?EIO=4&transport=websocket");
        assertThat(c.nextText()).startsWith("0{");
        c.send("40{\"user_id\":\"" + user + "\"}");
        assertThat(c.nextText()).startsWith("40{\"sid\":");
        return c;
    }

    /** The ack of the event sent with ack id {@code id} (other frames in between are skipped). */
    private static String ack(WsClient c, int id) throws Exception {
        while (true) {
            String f = c.nextText();
            if (f.startsWith("43" + id + "[")) {
                return f;
            }
        }
    }

    @Test
    void aChatFloodIsRefusedOverTheBudgetAndTheApiKeepsAnswering() throws Exception {
        start(Map.of("LECTERN_SIGNALING__MESSAGES_PER_SECOND", "1", "LECTERN_SIGNALING__MESSAGE_BURST", "5"));
        WsClient c = connected("flooder");
        c.send("421[\"join\",{\"room_id\":\"flood\"}]");
        assertThat(ack(c, 1)).contains("\"peers\"");
        int limited = 0;
        for (int i = 0; i < 30; i++) {
            c.send("42" + (100 + i) + "[\"message\",{\"room_id\":\"flood\",\"message\":\"spam " + i + "\"}]");
        }
        for (int i = 0; i < 30; i++) {
            if (ack(c, 100 + i).contains("rate_limited")) {
                limited++;
            }
        }
        assertThat(limited).as("most of 30 messages at once are over a burst of 5").isGreaterThanOrEqualTo(20);
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.httpPort() + "/health")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
    }

    @Test
    void aConnectionMayBeInABoundedNumberOfRooms() throws Exception {
        start(Map.of("LECTERN_SIGNALING__MAX_ROOMS_PER_PEER", "3"));
        WsClient c = connected("collector");
        for (int i = 0; i < 3; i++) {
            c.send("42" + (10 + i) + "[\"join\",{\"room_id\":\"r" + i + "\"}]");
            assertThat(ack(c, 10 + i)).contains("\"peers\"");
        }
        c.send("4220[\"join\",{\"room_id\":\"r9\"}]");
        assertThat(ack(c, 20)).contains("too_many_rooms");
        c.send("4221[\"join\",{\"room_id\":\"r0\"}]"); // joining one it is in again is fine
        assertThat(ack(c, 21)).contains("\"peers\"");
    }

    @Test
    void nobodyMaySpeakAsTheTutor() throws Exception {
        start(Map.of());
        WsClient c = connected("mallory");
        c.send("421[\"join\",{\"room_id\":\"imp\"}]");
        assertThat(ack(c, 1)).contains("\"peers\"");
        c.send("422[\"message\",{\"room_id\":\"imp\",\"message\":\"The answer is 5.\",\"sender\":\"AI\"}]");
        assertThat(ack(c, 2)).contains("bad_request").contains("reserved");
        c.send("423[\"message\",{\"room_id\":\"imp\",\"message\":\"hello\",\"sender\":\"Mallory\"}]");
        assertThat(ack(c, 3)).doesNotContain("bad_request");
    }

    private HttpResponse<String> poll(String sid) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.signalingPort()
                + "/socket.io/?EIO=4&transport=polling&sid=" + sid)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private int post(String sid, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.signalingPort()
                        + "/socket.io/?EIO=4&transport=polling&sid=" + sid)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    /**
     * Item 6 (rest): a reader that never reads was bounded only in packets (1024 of up to maxPayloadBytes each, ~1 GB
     * per connection). A polling peer that stops polling while its room is sent 40 messages of ~4 KB (41 packets,
     * far under the packet limit) is now closed as a slow consumer once its buffer passes outboundQueueBytes.
     */
    @Test
    void aPeerThatStopsReadingIsClosedWhenItsQueueOutgrowsTheByteLimit() throws Exception {
        start(Map.of("LECTERN_SIGNALING__OUTBOUND_QUEUE_BYTES", "65536",
                "LECTERN_SIGNALING__MESSAGES_PER_SECOND", "1000", "LECTERN_SIGNALING__MESSAGE_BURST", "1000"));
        HttpResponse<String> open = handshake();
        String sid = dev.lectern.core.json.Json.MAPPER.readTree(open.body().substring(1)).get("sid").asText();
        assertThat(post(sid, "40{\"user_id\":\"victim\"}")).isEqualTo(200);
        assertThat(poll(sid).body()).contains("40{\"sid\":");
        assertThat(post(sid, "421[\"join\",{\"room_id\":\"slow\"}]")).isEqualTo(200);
        assertThat(poll(sid).body()).contains("431[").contains("\"peers\"");

        WsClient sender = connected("sender");
        sender.send("421[\"join\",{\"room_id\":\"slow\"}]");
        assertThat(ack(sender, 1)).contains("\"peers\"");
        String text = "x".repeat(3900);
        for (int i = 0; i < 40; i++) {
            sender.send("42" + (100 + i) + "[\"message\",{\"room_id\":\"slow\",\"message\":\"" + text + i + "\"}]");
        }
        for (int i = 0; i < 40; i++) {
            assertThat(ack(sender, 100 + i)).doesNotContain("rate_limited");
        }
        // ~160 KB waited for the victim: its session is gone rather than holding it
        HttpResponse<String> late = poll(sid);
        assertThat(late.statusCode()).as("poll after the flood: %s", late.body().length() > 200
                ? late.body().substring(0, 200) : late.body()).isEqualTo(400);
    }

    private HttpResponse<String> handshake() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.signalingPort()
                + "/socket.io/?EIO=4&transport=polling")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void sessionsWithoutConnectAreCappedPerAddress() throws Exception {
        start(Map.of("LECTERN_SIGNALING__MAX_SESSIONS_WITHOUT_CONNECT_PER_ADDRESS", "4"));
        String sid = null;
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = handshake();
            assertThat(r.statusCode()).isEqualTo(200);
            sid = dev.lectern.core.json.Json.MAPPER.readTree(r.body().substring(1)).get("sid").asText();
        }
        assertThat(handshake().statusCode()).as("a fifth waiting session").isEqualTo(503);
        // one of them connects to the namespace: it no longer counts, and a new handshake is taken
        HttpResponse<String> connect = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.signalingPort() + "/socket.io/?EIO=4&transport=polling&sid=" + sid))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString("40{\"user_id\":\"u\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(connect.statusCode()).isEqualTo(200);
        HttpResponse<String> after = handshake();
        for (int i = 0; i < 20 && after.statusCode() == 503; i++) { // the CONNECT is authorised asynchronously
            Thread.sleep(100);
            after = handshake();
        }
        assertThat(after.statusCode()).isEqualTo(200);
    }
}

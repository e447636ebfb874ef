package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.server.ContractValidator;
import dev.lectern.server.LecternServer;
import dev.lectern.server.TestTokens;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Holo Tutor Hub seed (000) as its README calls it, against the real server in guest mode
 * ({@code accounts.guestAccess}): every REST call without a token, socket.io-client with no auth payload and the
 * seed's {@code join}/{@code message}; guests kept apart from each other and from accounts; with guest mode off the
 * same calls are refused as before; and the joins issue #19 item 10 refuses. Every REST reply also validates against
 * the server's own {@code /openapi.json} ({@link ContractValidator}), so the seed's shapes and the schemas generated
 * from the routes' types cannot drift apart.
 */
class HoloTutorHubContractIntegrationTest {
    private LecternServer server;
    private ContractValidator contract;

    private void start(boolean guests) {
        start(guests, Map.of());
    }

    private void start(boolean guests, Map<String, String> more) {
        Map<String, String> env = new HashMap<>(Map.of("LECTERN_SIGNALING__RECOVERY_WINDOW_MILLIS", "0"));
        env.putAll(more);
        if (guests) {
            env.put("LECTERN_ACCOUNTS__GUEST_ACCESS", "true");
        }
        server = LecternServer.start(TestConfigs.defaults(env), Map.of(), TestTokens.ALICE_AND_BOB);
        contract = ContractValidator.load(server.httpPort());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** A client that keeps the cookie it is given, as one browser does: one guest. */
    private final class Client {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final String token;
        String cookie;

        Client(String token) {
            this.token = token;
        }

        HttpResponse<String> send(String method, String path, Object body) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                    .timeout(Duration.ofSeconds(10));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            if (cookie != null) {
                b.header("Cookie", cookie);
            }
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(Json.write(body)));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            r.headers().firstValue("set-cookie").ifPresent(c -> cookie = c.split(";", 2)[0]);
            contract.check(method, path, r.statusCode(), r.headers().firstValue("content-type").orElse(null),
                    r.body());
            return r;
        }

        JsonNode ok(String method, String path, Object body, int status) throws Exception {
            HttpResponse<String> r = send(method, path, body);
            assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(status);
            return Json.MAPPER.readTree(r.body());
        }
    }

    private String sio() {
        return "http://127.0.0.1:" + server.signalingPort();
    }

    @Test
    void everyCallOfTheSeedReadmeWorksAsWrittenWithoutAToken() throws Exception {
        NodePeer.assumeAvailable();
        start(true);
        Client guest = new Client(null);

        assertThat(guest.ok("GET", "/health", null, 200).get("status").asText()).isNotEmpty();
        HttpResponse<String> first = guest.send("GET", "/api/companions", null);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("set-cookie").orElseThrow()).startsWith("lectern_guest=guest-")
                .contains("HttpOnly");
        JsonNode companion = Json.MAPPER.readTree(first.body()).at("/companions/0");
        assertThat(companion.get("id").isTextual()).isTrue();
        assertThat(companion.get("name").isTextual()).isTrue();
        String comp = companion.get("id").asText();
        assertThat(guest.ok("GET", "/api/companions/" + comp, null, 200).get("id").asText()).isEqualTo(comp);

        JsonNode room = guest.ok("POST", "/api/video/rooms", Map.of("user_id", "user123", "companion_id", comp), 201);
        String roomId = room.get("room_id").asText();
        assertThat(room.get("user_id").asText()).startsWith("guest-").isEqualTo(room.get("owner_id").asText());
        assertThat(room.get("companion_id").asText()).isEqualTo(comp);
        assertThat(room.get("status").asText()).isEqualTo("active");
        assertThat(room.get("participants").isArray()).isTrue();
        assertThat(room.get("signaling_path").asText()).isEqualTo("/socket.io/");
        assertThat(guest.ok("GET", "/api/video/rooms/" + roomId, null, 200).get("room_id").asText())
                .isEqualTo(roomId);
        assertThat(guest.ok("GET", "/api/webrtc/config", null, 200).get("iceServers").isArray()).isTrue();

        // Socket.IO with no auth payload: the seed's join and message
        try (NodePeer a = new NodePeer(sio(), "{}", "websocket");
             NodePeer b = new NodePeer(sio(), "{}", "websocket")) {
            a.awaitKey("connect");
            b.awaitKey("connect");
            a.emit("join", "{\"room_id\":\"" + roomId + "\",\"user_id\":\"user123\",\"is_host\":true}", 1);
            JsonNode joined = a.awaitEvent("joined");
            assertThat(joined.get("room_id").asText()).isEqualTo(roomId);
            assertThat(joined.get("peer_id").isTextual()).isTrue();
            assertThat(joined.get("peers").isArray()).isTrue();
            assertThat(a.awaitAck(1).get("room_id").asText()).isEqualTo(roomId);
            b.emit("join", "{\"room_id\":\"" + roomId + "\",\"user_id\":\"user1\",\"is_host\":false}", 1);
            b.awaitEvent("joined");
            assertThat(a.awaitEvent("peer-joined").get("peer_id").isTextual()).isTrue();

            a.emit("message", "{\"room_id\":\"" + roomId + "\",\"message\":\"Hello AI!\",\"sender\":\"user\"}", 2);
            JsonNode msg = b.awaitEvent("message");
            assertThat(msg.get("message").asText()).isEqualTo("Hello AI!");
            assertThat(msg.get("sender").asText()).startsWith("guest-"); // set by the server, never the client's
            assertThat(msg.get("timestamp").isNumber()).isTrue();
            assertThat(msg.get("timestamp").asDouble()).isLessThan(1e11); // epoch seconds, not millis

            // the README's own script joins a room id it made up: the first joiner makes it and is its host
            a.emit("join", "{\"room_id\":\"room123\",\"user_id\":\"user1\",\"is_host\":true}", 3);
            assertThat(a.awaitAck(3).get("room_id").asText()).isEqualTo("room123");
            b.emit("join", "{\"room_id\":\"room123\",\"user_id\":\"user2\",\"is_host\":true}", 4);
            JsonNode second = b.awaitEvent("joined");
            assertThat(second.get("room_id").asText()).isEqualTo("room123");
            assertThat(second.at("/peers/0/is_host").asBoolean()).isTrue();
            JsonNode notice = a.awaitEvent("peer-joined");
            assertThat(notice.get("is_host").asBoolean()).isFalse(); // only the owner hosts
        }

        JsonNode ended = guest.ok("DELETE", "/api/video/rooms/" + roomId, null, 200);
        assertThat(ended.get("message_count").asInt()).isEqualTo(1);
        JsonNode history = guest.ok("GET", "/api/video/sessions/user123", null, 200);
        assertThat(history.get("total").asInt()).isEqualTo(1);
        JsonNode session = history.at("/sessions/0");
        assertThat(session.get("room_id").asText()).isEqualTo(roomId);
        for (String f : new String[] {"session_id", "companion_id", "started_at", "ended_at", "duration_seconds",
                "message_count", "transcript_preview"}) {
            assertThat(session.has(f)).as(f).isTrue();
        }
        JsonNode transcript = guest.ok("GET", "/api/video/sessions/user123/" + session.get("session_id").asLong()
                + "/transcript", null, 200);
        JsonNode line = transcript.at("/messages/0");
        assertThat(line.get("message").asText()).isEqualTo("Hello AI!");
        assertThat(line.get("timestamp").isNumber()).isTrue();
        assertThat(line.has("audio_url")).isTrue();
    }

    @Test
    void aBrowsersSocketsAreItsRestGuest() throws Exception {
        NodePeer.assumeAvailable();
        start(true);
        Client browser = new Client(null);
        String roomId = null;
        String owner = null;
        for (String transports : new String[] {"polling", "websocket"}) {
            JsonNode room = browser.ok("POST", "/api/video/rooms", Map.of("user_id", "user123"), 201);
            roomId = room.get("room_id").asText();
            owner = room.get("owner_id").asText();
            try (NodePeer host = new NodePeer(sio(), "{}", transports, "once",
                    Json.write(Map.of("Cookie", browser.cookie)));
                 NodePeer other = new NodePeer(sio(), "{}", transports)) {
                host.awaitKey("connect");
                other.awaitKey("connect");
                host.emit("join", "{\"room_id\":\"" + roomId + "\",\"user_id\":\"user123\",\"is_host\":true}", 1);
                assertThat(host.awaitAck(1).get("user_id").asText()).as(transports).isEqualTo(owner);
                other.emit("join", "{\"room_id\":\"" + roomId + "\",\"is_host\":true}", 1);
                JsonNode joined = other.awaitEvent("joined");
                assertThat(joined.at("/peers/0/user_id").asText()).isEqualTo(owner);
                assertThat(joined.at("/peers/0/is_host").asBoolean()).as("the owner hosts").isTrue();
                assertThat(host.awaitEvent("peer-joined").get("is_host").asBoolean()).isFalse();
            }
        }
        // a forged cookie on the socket is a guest of its own, not the owner
        try (NodePeer forged = new NodePeer(sio(), "{}", "websocket", "once",
                Json.write(Map.of("Cookie", "lectern_guest=" + owner + ".bm90LWEtc2lnbmF0dXJl")))) {
            forged.awaitKey("connect");
            forged.emit("join", "{\"room_id\":\"made-by-forger\",\"is_host\":true}", 1);
            assertThat(forged.awaitAck(1).get("user_id").asText()).startsWith("guest-").isNotEqualTo(owner);
        }
    }

    @Test
    void guestsNeverReachEachOthersOrAnAccountsData() throws Exception {
        NodePeer.assumeAvailable();
        start(true);
        Client one = new Client(null);
        Client two = new Client(null);
        Client alice = new Client("alice");

        String guestRoom = one.ok("POST", "/api/video/rooms", Map.of("user_id", "user123"), 201).get("room_id")
                .asText();
        one.ok("DELETE", "/api/video/rooms/" + guestRoom, null, 200);
        long guestSession = one.ok("GET", "/api/video/sessions/user123", null, 200).at("/sessions/0/session_id")
                .asLong();
        String aliceRoom = alice.ok("POST", "/api/video/rooms", Map.of(), 201).get("room_id").asText();
        String aliceLive = alice.ok("POST", "/api/video/rooms", Map.of(), 201).get("room_id").asText();
        alice.ok("DELETE", "/api/video/rooms/" + aliceRoom, null, 200);
        assertThat(alice.ok("GET", "/api/video/sessions/alice", null, 200).get("total").asInt()).isEqualTo(1);

        // the same name is not the same guest: the second sees nothing of the first
        assertThat(two.ok("GET", "/api/video/sessions/user123", null, 200).get("total").asInt()).isZero();
        assertThat(two.send("GET", "/api/video/sessions/user123/" + guestSession + "/transcript", null).statusCode())
                .isEqualTo(404);
        assertThat(two.send("GET", "/api/video/rooms/" + guestRoom, null).statusCode()).isEqualTo(404);
        // naming an account reads nothing of the account's
        assertThat(two.ok("GET", "/api/video/sessions/alice", null, 200).get("total").asInt()).isZero();
        assertThat(two.send("GET", "/api/video/rooms/" + aliceLive, null).statusCode()).isEqualTo(404);
        assertThat(two.send("DELETE", "/api/video/rooms/" + aliceLive, null).statusCode()).isEqualTo(404);
        // an account cannot be named in a body either
        assertThat(new Client("bob").send("POST", "/api/video/rooms", Map.of("user_id", "alice")).statusCode())
                .isEqualTo(403);
        // a forged cookie is a new guest, with nothing
        HttpResponse<String> forged = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + server.httpPort() + "/api/video/sessions/user123"))
                .header("Cookie", "lectern_guest=guest-AAAAAAAAAAAAAAAA.bm90LWEtc2lnbmF0dXJl").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(Json.MAPPER.readTree(forged.body()).get("total").asInt()).isZero();
        assertThat(forged.headers().firstValue("set-cookie")).isPresent();
        // every other route still needs a token
        assertThat(one.send("GET", "/api/chat/history", null).statusCode()).isEqualTo(401);

        // a guest socket cannot join an account's live room, nor name a room it cannot have made
        try (NodePeer g = new NodePeer(sio(), "{}", "websocket")) {
            g.awaitKey("connect");
            g.emit("join", "{\"room_id\":\"" + aliceLive + "\",\"user_id\":\"alice\",\"is_host\":true}", 1);
            assertThat(g.awaitEvent("error").get("code").asText()).isEqualTo("forbidden");
            assertThat(g.awaitAck(1).get("ok").asBoolean()).isFalse();
            g.emit("join", "{\"room_id\":\"" + guestRoom + "\"}", 2);
            assertThat(g.awaitAck(2).get("code").asText()).isEqualTo("room_not_live");
        }
    }

    @Test
    void guestsStayRateLimited() throws Exception {
        start(true, Map.of("LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "3"));
        for (int i = 0; i < 3; i++) {
            // a new guest each time (no cookie kept): the address still counts them all
            assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.httpPort() + "/api/companions")).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode()).isEqualTo(200);
        }
        assertThat(new Client(null).send("GET", "/api/companions", null).statusCode()).isEqualTo(429);
    }

    @Test
    void withGuestModeOffEveryCallIsRefusedAsBefore() throws Exception {
        NodePeer.assumeAvailable();
        start(false);
        Client anonymous = new Client(null);
        assertThat(anonymous.send("GET", "/api/companions", null).statusCode()).isEqualTo(401);
        assertThat(anonymous.send("POST", "/api/video/rooms", Map.of("user_id", "user123")).statusCode())
                .isEqualTo(401);
        assertThat(anonymous.send("GET", "/api/video/sessions/user123", null).statusCode()).isEqualTo(401);
        assertThat(anonymous.send("GET", "/api/companions", null).headers().firstValue("set-cookie")).isEmpty();
        try (NodePeer p = new NodePeer(sio(), "{}", "websocket")) {
            assertThat(p.awaitKey("connect_error").asText()).isEqualTo("unauthorized");
        }
    }

    @Test
    void joinNeedsALiveRestRoomAndTheOwnerOrAnInvite() throws Exception {
        NodePeer.assumeAvailable();
        start(false);
        Client alice = new Client("alice");
        String roomId = alice.ok("POST", "/api/video/rooms", Map.of(), 201).get("room_id").asText();
        try (NodePeer a = new NodePeer(sio(), "{\"token\":\"alice\"}", "websocket");
             NodePeer b = new NodePeer(sio(), "{\"token\":\"bob\"}", "websocket")) {
            a.awaitKey("connect");
            b.awaitKey("connect");
            b.emit("join", "{\"room_id\":\"made-up\"}", 1);
            assertThat(b.awaitAck(1).get("code").asText()).isEqualTo("no_such_room");
            b.emit("join", "{\"room_id\":\"" + roomId + "\",\"is_host\":true}", 2);
            assertThat(b.awaitAck(2).get("code").asText()).isEqualTo("forbidden");
            b.emit("join", "{\"room_id\":\"" + roomId + "\",\"user_id\":\"alice\"}", 3);
            assertThat(b.awaitAck(3).get("code").asText()).isEqualTo("forbidden");
            b.emit("join", "{\"room_id\":\"" + roomId + "\",\"invite\":\"not-an-invite\"}", 4);
            assertThat(b.awaitAck(4).get("code").asText()).isEqualTo("forbidden");

            a.emit("join", "{\"room_id\":\"" + roomId + "\",\"user_id\":\"alice\",\"is_host\":true}", 1);
            assertThat(a.awaitAck(1).get("room_id").asText()).isEqualTo(roomId);
            String invite = alice.ok("POST", "/api/video/rooms/" + roomId + "/invites", null, 201).get("invite")
                    .asText();
            b.emit("join", "{\"room_id\":\"" + roomId + "\",\"is_host\":true,\"invite\":\"" + invite + "\"}", 5);
            assertThat(b.awaitAck(5).get("room_id").asText()).isEqualTo(roomId);
            assertThat(a.awaitEvent("peer-joined").get("is_host").asBoolean()).isFalse();

            alice.ok("DELETE", "/api/video/rooms/" + roomId, null, 200);
            a.emit("leave", "{\"room_id\":\"" + roomId + "\"}", 2);
            a.awaitAck(2);
            a.emit("join", "{\"room_id\":\"" + roomId + "\"}", 3);
            assertThat(a.awaitAck(3).get("code").asText()).isEqualTo("room_not_live");
        }
    }
}

package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A tutoring front end's whole path over real sockets and the production wiring (no development mode): sign up and
 * log in, list tutors, create a room, two users join it over signaling with their tokens and call and chat, the owner
 * ends it, and both read their session history and the transcript with the chat in it; nobody reads another's.
 */
class TutoringFlowIntegrationTest {
    private static final String PASSWORD = "Correct-Horse-9-Battery";
    private static final String SDP = "v=0\\r\\no=- 46117 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n";
    private static final String CANDIDATE = "{\"candidate\":\"candidate:842163049 1 udp 1677729535 192.0.2.7 3478 typ"
            + " srflx raddr 0.0.0.0 rport 0 generation 0\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}";

    private final HttpClient wsHttp = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;
    private HttpJson http;

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(Map.of("LECTERN_SIGNALING__RECOVERY_WINDOW_MILLIS", "0")),
                Map.of());
        http = new HttpJson(server.httpPort());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private record User(String id, String token) {}

    private User signUpAndLogIn(String email) throws Exception {
        assertThat(http.post("/api/send_verification", Map.of("email", email, "purpose", "register"), null).status())
                .isEqualTo(200);
        String code = server.ephemeralStore().get("code:register:" + email).orElseThrow();
        HttpJson.Reply registered = http.post("/api/register",
                Map.of("email", email, "password", PASSWORD, "code", code), null);
        assertThat(registered.status()).as(registered.raw().body()).isEqualTo(201);
        HttpJson.Reply login = http.post("/api/login", Map.of("email", email, "password", PASSWORD), null);
        assertThat(login.status()).isEqualTo(200);
        return new User(login.body().at("/user/id").asText(), login.text("token"));
    }

    private static JsonNode event(WsClient c, String event) throws Exception {
        while (true) {
            JsonNode f = Json.MAPPER.readTree(c.nextText());
            if (event.equals(f.path("event").asText(null))) {
                return f.get("data");
            }
        }
    }

    @Test
    void logInPickATutorCallChatEndAndReadTheHistory() throws Exception {
        User ann = signUpAndLogIn("ann@example.com");
        User bob = signUpAndLogIn("bob@example.com");

        HttpJson.Reply tutors = http.get("/api/companions?subject=mathematics", ann.token());
        assertThat(tutors.status()).isEqualTo(200);
        String tutor = tutors.body().at("/companions/0/id").asText();
        assertThat(tutor).isEqualTo("ada-math");

        HttpJson.Reply room = http.post("/api/video/rooms", Map.of("companion_id", tutor), ann.token());
        assertThat(room.status()).isEqualTo(201);
        String roomId = room.text("room_id");
        String wsUrl = room.text("ws_url");
        assertThat(wsUrl).endsWith(":" + server.signalingPort() + "/ws");

        // a bad token is refused at the door
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() ->
                WsClient.connect(wsHttp, wsUrl.replace("localhost", "127.0.0.1") + "?token=forged"))).isNotNull();

        WsClient a = WsClient.connect(wsHttp, wsUrl.replace("localhost", "127.0.0.1") + "?token=" + ann.token());
        WsClient b = WsClient.connect(wsHttp, wsUrl.replace("localhost", "127.0.0.1") + "?token=" + bob.token());
        a.send("{\"event\":\"join\",\"data\":{\"room_id\":\"" + roomId + "\",\"is_host\":true},\"id\":1}");
        JsonNode joinedA = event(a, "joined");
        assertThat(joinedA.get("ice_servers").get(0).get("urls").get(0).asText()).startsWith("stun:");
        // bob is not the owner: without an invite he is refused (issue #19 item 10), with one he is in, not as host
        b.send("{\"event\":\"join\",\"data\":{\"room_id\":\"" + roomId + "\",\"is_host\":true},\"id\":2}");
        assertThat(event(b, "error").get("code").asText()).isEqualTo("forbidden");
        String invite = http.post("/api/video/rooms/" + roomId + "/invites", Map.of(), ann.token()).text("invite");
        assertThat(http.post("/api/video/rooms/" + roomId + "/invites", Map.of(), bob.token()).status())
                .isEqualTo(404);
        b.send("{\"event\":\"join\",\"data\":{\"room_id\":\"" + roomId + "\",\"is_host\":true,\"invite\":\""
                + invite + "\"},\"id\":1}");
        JsonNode joinedB = event(b, "joined");
        assertThat(joinedB.get("peers")).hasSize(1);
        assertThat(joinedB.at("/peers/0/is_host").asBoolean()).isTrue();
        JsonNode bobJoined = event(a, "peer-joined");
        assertThat(bobJoined.get("is_host").asBoolean()).isFalse();
        String bobPeer = bobJoined.get("peer_id").asText();

        a.send("{\"event\":\"offer\",\"data\":{\"room_id\":\"" + roomId + "\",\"sdp\":\"" + SDP + "\",\"to\":\""
                + bobPeer + "\"}}");
        assertThat(event(b, "offer").get("sdp").asText()).startsWith("v=0");
        b.send("{\"event\":\"answer\",\"data\":{\"room_id\":\"" + roomId + "\",\"sdp\":\"" + SDP + "\"}}");
        assertThat(event(a, "answer").get("sdp").asText()).startsWith("v=0");
        b.send("{\"event\":\"candidate\",\"data\":{\"room_id\":\"" + roomId + "\",\"candidate\":" + CANDIDATE + "}}");
        assertThat(event(a, "candidate").get("candidate").get("sdpMid").asText()).isEqualTo("0");

        assertThat(http.get("/api/video/rooms/" + roomId, ann.token()).body().get("online"))
                .extracting(JsonNode::asText).containsExactly(ann.id(), bob.id());

        a.send("{\"event\":\"message\",\"data\":{\"room_id\":\"" + roomId + "\",\"message\":\"What is 2+2?\","
                + "\"sender\":\"Ann\"}}");
        assertThat(event(b, "message").get("message").asText()).isEqualTo("What is 2+2?");
        b.send("{\"event\":\"message\",\"data\":{\"room_id\":\"" + roomId + "\",\"message\":\"Four.\","
                + "\"sender\":\"Bob\"}}");
        // a message goes to the whole room, its sender included: Ann sees her own line, then Bob's
        assertThat(event(a, "message").get("message").asText()).isEqualTo("What is 2+2?");
        assertThat(event(a, "message").get("message").asText()).isEqualTo("Four.");

        assertThat(http.send("DELETE", "/api/video/rooms/" + roomId, null, bob.token()).status()).isEqualTo(403);
        HttpJson.Reply ended = http.send("DELETE", "/api/video/rooms/" + roomId, null, ann.token());
        assertThat(ended.status()).isEqualTo(200);
        assertThat(ended.body().get("message_count").asInt()).isEqualTo(2);
        assertThat(ended.body().get("companion_id").asText()).isEqualTo("ada-math");
        a.ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "bye");
        b.ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "bye");

        for (User u : new User[] {ann, bob}) {
            HttpJson.Reply history = http.get("/api/video/sessions/" + u.id(), u.token());
            assertThat(history.body().get("total").asInt()).isEqualTo(1);
            JsonNode session = history.body().at("/sessions/0");
            assertThat(session.get("room_id").asText()).isEqualTo(roomId);
            assertThat(session.get("transcript_preview").asText()).contains(ann.id() + ": What is 2+2?");
            HttpJson.Reply transcript = http.get("/api/video/sessions/" + u.id() + "/"
                    + session.get("session_id").asLong() + "/transcript", u.token());
            assertThat(transcript.body().get("messages")).extracting(m -> m.get("sender").asText() + ": "
                    + m.get("message").asText()).containsExactly(ann.id() + ": What is 2+2?", bob.id() + ": Four.");
        }
        // cross-user attempts on every resource with an id
        long annSession = http.get("/api/video/sessions/" + ann.id(), ann.token()).body().at("/sessions/0/session_id")
                .asLong();
        assertThat(http.get("/api/video/sessions/" + ann.id(), bob.token()).status()).isEqualTo(404);
        assertThat(http.get("/api/video/sessions/" + ann.id() + "/" + annSession + "/transcript", bob.token()).status())
                .isEqualTo(404);
        assertThat(http.get("/api/video/sessions/" + bob.id() + "/" + annSession + "/transcript", bob.token()).status())
                .isEqualTo(404);
        HttpJson.Reply otherRoom = http.post("/api/video/rooms", Map.of(), bob.token());
        assertThat(http.get("/api/video/rooms/" + otherRoom.text("room_id"), ann.token()).status()).isEqualTo(404);
        assertThat(http.send("DELETE", "/api/video/rooms/" + otherRoom.text("room_id"), null, ann.token()).status())
                .isEqualTo(404);
        HttpJson.Reply chat = http.post("/api/chat/new", Map.of("title", "Algebra"), ann.token());
        String chatId = chat.body().get("session_id").asText();
        assertThat(http.get("/api/message/list?session_id=" + chatId, bob.token()).status()).isEqualTo(404);
        assertThat(http.post("/api/chat/" + chatId + "/favorite", Map.of("is_favorite", true), bob.token()).status())
                .isEqualTo(404);
        assertThat(http.send("DELETE", "/api/chat/" + chatId, null, bob.token()).status()).isEqualTo(404);
        assertThat(http.get("/api/webrtc/config", bob.token()).body().get("iceServers")).isNotEmpty();
    }
}

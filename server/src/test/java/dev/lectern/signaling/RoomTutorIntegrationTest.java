package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The AI companion in a video room: a question written in a room created with a tutor is answered into the room, to
 * every peer, as {@code message} with {@code sender:"ai"} (deltas first), with the tutor's persona, and the answer is
 * in the session's transcript.
 */
class RoomTutorIntegrationTest {
    /** Tokens are "t-" + user id. */
    private static final TokenVerifier TOKENS = token -> token.startsWith("t-")
            ? CompletableFuture.completedFuture(new Principal(token.substring(2), Role.STUDENT, "j-" + token))
            : CompletableFuture.failedFuture(new InvalidTokenException("invalid token"));

    private FakeModelServer upstream;
    private LecternServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static JsonNode event(WsClient c, String event) throws Exception {
        while (true) {
            JsonNode f = Json.MAPPER.readTree(c.nextText());
            if (event.equals(f.path("event").asText(null))) {
                return f.get("data");
            }
        }
    }

    /** The next {@code message} whose sender is the AI. */
    private static JsonNode aiMessage(WsClient c) throws Exception {
        while (true) {
            JsonNode m = event(c, "message");
            if ("ai".equals(m.path("sender").asText())) {
                return m;
            }
        }
    }

    @Test
    void theCompanionAnswersIntoTheRoomAndTheTranscript() throws Exception {
        upstream = new FakeModelServer();
        ServerConfig d = TestConfigs.defaults(Map.of("LECTERN_SIGNALING__RECOVERY_WINDOW_MILLIS", "0"));
        ServerConfig config = d.withAi(TestAi.config(upstream.baseUrl()));
        server = LecternServer.start(config, Map.of("FAKE_API_KEY", "sk-test"), TOKENS);
        HttpJson http = new HttpJson(server.httpPort());

        String roomId = http.post("/api/video/rooms", Map.of("companion_id", "ada-math"), "t-ann").text("room_id");
        HttpClient wsHttp = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String ws = "ws://127.0.0.1:" + server.signalingPort() + "/ws?token=";
        WsClient ann = WsClient.connect(wsHttp, ws + "t-ann");
        WsClient bob = WsClient.connect(wsHttp, ws + "t-bob");
        ann.send("{\"event\":\"join\",\"data\":{\"room_id\":\"" + roomId + "\"}}");
        event(ann, "joined");
        String invite = http.post("/api/video/rooms/" + roomId + "/invites", Map.of(), "t-ann").text("invite");
        bob.send("{\"event\":\"join\",\"data\":{\"room_id\":\"" + roomId + "\",\"invite\":\"" + invite + "\"}}");
        event(bob, "joined");

        upstream.enqueue(FakeModelServer.answer("Two plus two", " is four."));
        ann.send("{\"event\":\"message\",\"data\":{\"room_id\":\"" + roomId + "\",\"message\":\"What is 2+2?\","
                + "\"sender\":\"Ann\"}}");
        JsonNode delta = event(bob, "message-delta");
        assertThat(delta.get("sender").asText()).isEqualTo("ai");
        JsonNode forBob = aiMessage(bob);
        JsonNode forAnn = aiMessage(ann);
        for (JsonNode m : new JsonNode[] {forBob, forAnn}) {
            assertThat(m.get("message").asText()).isEqualTo("Two plus two is four.");
            assertThat(m.get("companion_id").asText()).isEqualTo("ada-math");
            assertThat(m.has("audio_url")).isTrue();
        }
        // the companion's persona reached the model, with Ann's question
        JsonNode sent = upstream.requests().get(0).get("messages");
        assertThat(sent.get(0).get("content").asText()).contains("Ada");
        assertThat(sent.get(sent.size() - 1).get("content").asText()).isEqualTo("What is 2+2?");

        HttpJson.Reply ended = http.send("DELETE", "/api/video/rooms/" + roomId, null, "t-ann");
        assertThat(ended.body().get("message_count").asInt()).isEqualTo(2);
        long session = ended.body().get("session_id").asLong();
        HttpJson.Reply transcript = http.get("/api/video/sessions/ann/" + session + "/transcript", "t-ann");
        assertThat(transcript.body().get("messages")).extracting(m -> m.get("sender").asText() + ": "
                + m.get("message").asText()).containsExactly("ann: What is 2+2?", "ai: Two plus two is four.");
        // the tutor's line keeps its audio (the seed's message model); people's lines have none
        assertThat(transcript.body().at("/messages/1/audio_url").asText(null))
                .isEqualTo(forAnn.get("audio_url").asText(null));
        assertThat(transcript.body().at("/messages/0/audio_url").isNull()).isTrue();
        assertThat(transcript.body().at("/messages/0/timestamp").isNumber()).isTrue();
    }

    @Test
    void oneAnswerPerRoomAtATime() throws Exception {
        upstream = new FakeModelServer();
        ServerConfig d = TestConfigs.defaults(Map.of("LECTERN_SIGNALING__RECOVERY_WINDOW_MILLIS", "0"));
        server = LecternServer.start(d.withAi(TestAi.config(upstream.baseUrl())), Map.of("FAKE_API_KEY", "sk-test"),
                TOKENS);
        HttpJson http = new HttpJson(server.httpPort());
        String roomId = http.post("/api/video/rooms", Map.of("companion_id", "ada-math"), "t-ann").text("room_id");
        WsClient ann = WsClient.connect(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(),
                "ws://127.0.0.1:" + server.signalingPort() + "/ws?token=t-ann");
        ann.send("{\"event\":\"join\",\"data\":{\"room_id\":\"" + roomId + "\"}}");
        event(ann, "joined");
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        upstream.enqueue(ex -> {
            ex.raw("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                    + "\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n");
            ex.text("Thinking");
            hold.await(30, java.util.concurrent.TimeUnit.SECONDS);
            ex.text(" done.").finish("stop").usage(1, 1).done();
        });
        ann.send("{\"event\":\"message\",\"data\":{\"room_id\":\"" + roomId + "\",\"message\":\"First?\"}}");
        event(ann, "message-delta");
        // before: a second question started a second answer (a model call and a blocking thread per message)
        ann.send("{\"event\":\"message\",\"data\":{\"room_id\":\"" + roomId + "\",\"message\":\"Second?\"}}");
        assertThat(event(ann, "error").get("code").asText()).isEqualTo("ai_busy");
        hold.countDown();
        assertThat(aiMessage(ann).get("message").asText()).isEqualTo("Thinking done.");
        upstream.enqueue(FakeModelServer.answer("Now", " yes."));
        ann.send("{\"event\":\"message\",\"data\":{\"room_id\":\"" + roomId + "\",\"message\":\"Third?\"}}");
        assertThat(aiMessage(ann).get("message").asText()).isEqualTo("Now yes.");
        assertThat(upstream.requests()).hasSize(2);
    }
}

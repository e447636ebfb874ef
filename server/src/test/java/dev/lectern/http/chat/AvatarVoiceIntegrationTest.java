package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.http.AuthDecorator;
import dev.lectern.media.FakeAvatars;
import dev.lectern.server.LecternServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The voice hand-off end to end: a student with a running avatar asks the tutor; every sentence of the streamed answer
 * reaches that avatar's {@code /human} in order, as LiveTalking echo text, through the real avatar process.
 */
class AvatarVoiceIntegrationTest {
    private static final String TOKEN = "voice-token";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
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

    private HttpResponse<String> call(String method, String path, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + TOKEN);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eachSentenceOfTheAnswerIsSpokenByTheStudentsAvatarInOrder() throws Exception {
        upstream = new FakeModelServer();
        ServerConfig base = FakeAvatars.config(Map.of(), tree -> { });
        ServerConfig config = base.withAi(TestAi.withTts(TestAi.config(upstream.baseUrl()), TestAi.TTS_OFF));
        server = LecternServer.start(config, Map.of("FAKE_API_KEY", "sk-test"),
                AuthDecorator.fixed(TOKEN, new Principal("u1", Role.STUDENT, "t1")));

        assertThat(call("POST", "/api/avatar/start", Map.of("avatar_name", FakeAvatars.ANNA)).statusCode()).isEqualTo(200);
        HttpResponse<String> offer = call("POST", "/api/webrtc/offer", Map.of("sdp", "v=0\r\nbrowser-offer", "type", "offer"));
        JsonNode session = Json.MAPPER.readTree(offer.body()).get("sessionid");
        assertThat(session).isNotNull();
        assertThat(call("POST", "/api/sessionid", Map.of("sessionid", session)).statusCode()).isEqualTo(200);

        String answer = "Photosynthesis turns light into chemical energy. Plants use it to make sugar from carbon"
                + " dioxide and water. Oxygen is what is left over.";
        upstream.enqueue(FakeModelServer.answer("Photosynthesis turns light into chemical energy.",
                " Plants use it to make sugar from carbon dioxide and water.", " Oxygen is what is left over."));
        HttpResponse<InputStream> stream = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.httpPort() + "/api/chat/stream"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("message", "What is photosynthesis?"))))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        SseEvents events;
        try (InputStream in = stream.body()) {
            events = SseEvents.read(in);
        }
        assertThat(events.last().data().get("text").asText()).isEqualTo(answer);

        List<String> spoken = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode said = Json.MAPPER.readTree(call("GET", "/api/webrtc/__spoken?sessionid=" + session.asText(), null)
                    .body());
            spoken.clear();
            said.forEach(s -> spoken.add(s.asText()));
            return String.join(" ", spoken).equals(answer);
        });
        assertThat(spoken).as("sentences, in order").hasSizeGreaterThan(1);
    }
}

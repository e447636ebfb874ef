package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTtsServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.http.AuthDecorator;
import dev.lectern.server.ContractValidator;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * #20: each companion speaks with its own {@code voice}: two companions, two voices, and the text-to-speech service (a
 * fake OpenAI speech endpoint over a real socket) is asked for each; a companion without one uses the configured voice.
 * {@code GET /api/tts/models} describes the engines keyed by name, as the Virtual Tutor seed documents it. The models
 * and every chat event (the spoken sentences' {@code audio} ones too) validate against the server's /openapi.json.
 */
class CompanionVoiceIntegrationTest {
    private static final String TOKEN = "student-token";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;
    private ContractValidator contract;

    @TempDir
    Path dir;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    private static String companion(String id, String voice) {
        return "  - id: " + id + "\n    name: " + id + "\n    subject: voices\n    persona: You are " + id + ".\n"
                + "    voice: \"" + voice + "\"\n    avatar: \"\"\n    greeting: Hi.\n";
    }

    private SseEvents chat(String companionId) throws Exception {
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.httpPort() + "/api/chat/stream")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("message", "Say something",
                        "companion_id", companionId)))).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        try (InputStream in = r.body()) {
            SseEvents events = SseEvents.read(in);
            for (SseEvents.Event e : events.events) {
                contract.checkEvent("POST", "/api/chat/stream", e.data());
            }
            return events;
        }
    }

    @Test
    void eachCompanionIsSpokenWithItsOwnVoice() throws Exception {
        Path companions = Files.writeString(dir.resolve("companions.yaml"), "companions:\n"
                + companion("nova-tutor", "nova") + companion("onyx-tutor", "onyx") + companion("plain-tutor", ""));
        try (FakeModelServer model = new FakeModelServer(); FakeTtsServer tts = new FakeTtsServer()) {
            AiConfig ai = TestAi.withTts(TestAi.config(model.baseUrl()), new AiConfig.Tts("openai",
                    tts.baseUrl() + "/v1", "", "tts-1", "alloy", 10_000, 1000));
            ServerConfig config = TestConfigs.defaults(Map.of("LECTERN_HISTORY__COMPANIONS_FILE",
                    companions.toString()));
            server = LecternServer.start(config.withAi(ai), Map.of("FAKE_API_KEY", "sk-test"),
                    AuthDecorator.fixed(TOKEN, new Principal("u1", Role.STUDENT, "t1")));
            contract = ContractValidator.load(server.httpPort());
            for (String id : List.of("nova-tutor", "onyx-tutor", "plain-tutor")) {
                model.enqueue(FakeModelServer.answer("One sentence from " + id + "."));
                SseEvents s = chat(id);
                assertThat(s.last().status()).as(id).isEqualTo("complete");
                assertThat(s.events.stream().filter(e -> e.status().equals("audio"))).as(id).hasSize(1);
            }
            assertThat(tts.calls).extracting(c -> c.body().get("voice").asText())
                    .containsExactly("nova", "onyx", "alloy");
            assertThat(tts.calls).extracting(c -> c.body().get("input").asText())
                    .containsExactly("One sentence from nova-tutor.", "One sentence from onyx-tutor.",
                            "One sentence from plain-tutor.");

            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.httpPort() + "/api/tts/models")).header("Authorization", "Bearer " + TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
            contract.check("GET", "/api/tts/models", 200, models.headers().firstValue("content-type").orElse(null),
                    models.body());
            JsonNode engines = Json.MAPPER.readTree(models.body());
            assertThat(engines.fieldNames()).toIterable().containsExactly("espeak", "openai", "elevenlabs");
            for (JsonNode e : engines) {
                assertThat(e.get("full_name").isTextual()).isTrue();
                assertThat(e.get("clone").isBoolean()).isTrue();
                assertThat(e.get("status").asText()).isIn("active", "available", "unavailable");
                assertThat(e.get("license").isTextual()).isTrue();
                assertThat(e.has("timbres") && e.has("cur_timbre")).isTrue();
            }
            JsonNode openai = engines.get("openai");
            assertThat(openai.get("status").asText()).isEqualTo("active");
            assertThat(openai.get("cur_timbre").asText()).isEqualTo("alloy");
            assertThat(openai.get("timbres")).extracting(JsonNode::asText).contains("alloy", "nova", "onyx");
            assertThat(engines.get("elevenlabs").get("status").asText()).isEqualTo("unavailable");
            assertThat(engines.get("elevenlabs").get("timbres").isNull()).isTrue();
        }
    }
}

package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTtsServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.testing.TestConfigs;
import dev.lectern.testing.TestServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lesson generated without the caller's scenes on a {@code bin/lectern worker} node: the serving node runs no jobs
 * and has no model; the worker plans with its configured model (a fake OpenAI-compatible server), narrates through
 * its configured HTTP text-to-speech (a fake OpenAI speech endpoint returning a real MP3) in the voice of the
 * project's companion, and the plan is grounded in the user's upload, retrieved on the serving node and cited.
 */
class LessonWorkerNodeIntegrationTest {
    private static final String FACT = "The Quillfeather constant of the Brannock reactor equals 47.3 kJ/mol.";

    @TempDir
    Path dir;
    private PostgresTestDatabase pg;
    private FakeModelServer model;
    private FakeTtsServer tts;
    private LecternServer server;
    private JobsWorker worker;
    private HttpJson http;

    @BeforeEach
    void setUp() throws Exception {
        TestServices.requirePostgres();
        pg = PostgresTestDatabase.create();
        model = new FakeModelServer();
        tts = new FakeTtsServer();
        Path mp3 = dir.resolve("tone.mp3");
        Process p = new ProcessBuilder("ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                "sine=frequency=440:duration=1", "-c:a", "libmp3lame", "-b:a", "64k", mp3.toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        tts.audio = Files.readAllBytes(mp3);
    }

    @AfterEach
    void tearDown() {
        if (worker != null) {
            worker.close();
        }
        if (server != null) {
            server.close();
        }
        model.close();
        tts.close();
        pg.close();
    }

    private Map<String, String> env(int workers) throws Exception {
        Path companions = dir.resolve("companions.yaml");
        Files.writeString(companions, """
                companions:
                  - id: lena-chem
                    name: Lena
                    subject: chemistry
                    persona: You are Lena, a chemistry tutor.
                    voice: shimmer
                    avatar: ""
                    greeting: Hi, I'm Lena.
                """);
        Map<String, String> env = new HashMap<>();
        env.put("LECTERN_STORAGE__DATA_DIR", dir.resolve("data").toString());
        env.put("LECTERN_STORAGE__SQL__URL", pg.url());
        env.put("LECTERN_STORAGE__SQL__USER", PostgresTestDatabase.USER);
        env.put("LECTERN_HISTORY__COMPANIONS_FILE", companions.toString());
        env.put("LECTERN_JOBS__WORKERS", Integer.toString(workers));
        env.put("LECTERN_JOBS__HEARTBEAT_MILLIS", "200");
        env.put("LECTERN_JOBS__LEASE_MILLIS", "5000");
        return TestLessons.small(env);
    }

    private JsonNode awaitReady(String sessionId) {
        JsonNode[] seen = new JsonNode[1];
        await().atMost(Duration.ofSeconds(120)).until(() -> {
            seen[0] = http.get("/api/sessions/" + sessionId, "alice").body();
            assertThat(seen[0].path("status").asText()).as(seen[0].toString()).isNotEqualTo("FAILED");
            return "READY".equals(seen[0].path("status").asText());
        });
        return seen[0];
    }

    private String upload(String filename, String text) throws Exception {
        String boundary = "xBoUnDaRy42";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + text + "\r\n--" + boundary + "--\r\n";
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + server.httpPort() + "/api/chat/upload"))
                .header("Authorization", "Bearer alice")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode json = Json.MAPPER.readTree(r.body());
        assertThat(json.path("status").asText()).isEqualTo("indexed");
        return json.path("id").asText();
    }

    @Test
    void aWorkerNodePlansGroundedInTheUploadAndNarratesInTheCompanionsVoice() throws Exception {
        server = LecternServer.start(TestConfigs.defaults(env(0)), Map.of(), TestTokens.ALICE_AND_BOB);
        http = new HttpJson(server.httpPort());
        ServerConfig workerConfig = TestConfigs.defaults(env(2));
        AiConfig ai = TestAi.withTts(TestAi.config(model.baseUrl()), new AiConfig.Tts("openai",
                tts.baseUrl() + "/v1", "TTS_KEY", "", "alloy", 15_000, 1000));
        worker = JobsWorker.start(workerConfig.withAi(ai), Map.of("FAKE_API_KEY", "sk-test", "TTS_KEY", "sk-tts"));

        String fileId = upload("reactor-notes.txt", "Reactor physics notes. " + FACT
                + " Osmosis moves water across membranes.");
        String project = http.post("/api/projects", Map.of("title", "Reactors", "companionId", "lena-chem"),
                "alice").text("id");
        assertThat(http.get("/api/projects/" + project, "alice").text("companionId")).isEqualTo("lena-chem");
        assertThat(http.post("/api/projects", Map.of("title", "X", "companionId", "nobody"), "alice").status())
                .isEqualTo(400);
        String session = http.post("/api/projects/" + project + "/sessions", Map.of("prompt", "the reactor",
                "sceneCount", 1), "alice").text("id");

        ObjectNode plan = Json.MAPPER.createObjectNode().put("title", "The Brannock reactor");
        ObjectNode scene = plan.putArray("scenes").addObject().put("title", "Its constant")
                .put("narration", "The constant equals 47.3 kilojoules per mole.");
        scene.putArray("bullets").add("47.3 kJ/mol");
        scene.putArray("sources").add(1);
        model.enqueue(FakeModelServer.answer(Json.write(plan)));
        assertThat(http.post("/jobs/generate", Map.of("projectId", project, "sessionId", session, "sceneCount", 1,
                "prompt", "What is the Quillfeather constant of the Brannock reactor?", "documentIds",
                List.of("no-such-file")), "alice").status()).isEqualTo(400);
        HttpJson.Reply gen = http.post("/jobs/generate", Map.of("projectId", project, "sessionId", session,
                "sceneCount", 1, "prompt", "What is the Quillfeather constant of the Brannock reactor?",
                "documentIds", List.of(fileId)), "alice");
        assertThat(gen.status()).as(gen.raw().body()).isEqualTo(200);

        JsonNode ready = awaitReady(session);
        assertThat(ready.path("video_url").asText()).startsWith("/api/objects/lessons/");
        // the worker's model planned it, from the passage the serving node retrieved
        assertThat(model.requests()).hasSize(1);
        assertThat(model.requests().get(0).toString()).contains("47.3 kJ/mol").contains("reactor-notes.txt");
        JsonNode citation = ready.path("scenes").get(0).path("plan").path("citations").get(0);
        assertThat(citation.path("documentId").asText()).isEqualTo(fileId);
        assertThat(citation.path("filename").asText()).isEqualTo("reactor-notes.txt");
        // and its configured TTS spoke it in the companion's voice
        assertThat(tts.calls).isNotEmpty();
        assertThat(tts.calls).allSatisfy(c -> assertThat(c.body().path("voice").asText()).isEqualTo("shimmer"));
        assertThat(ready.path("scenes").get(0).path("durationSeconds").asDouble()).isGreaterThan(0.5);
    }
}

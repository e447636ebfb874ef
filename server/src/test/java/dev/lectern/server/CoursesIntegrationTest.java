package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.accounts.UserRepository;
import dev.lectern.ai.testing.Documents;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTranscriptionServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Courses over real sockets on the production wiring: the organisation, a course shared with a group, a PDF material,
 * a recorded lecture (espeak-ng + ffmpeg) transcribed by the job through an OpenAI-compatible fake, its transcript as
 * JSON and WebVTT, and a course question answered over SSE citing the lecture's timestamp.
 */
class CoursesIntegrationTest {
    @TempDir
    Path dir;
    private final Map<String, Principal> principals = new ConcurrentHashMap<>();
    private final TokenVerifier tokens = token -> {
        Principal p = principals.get(token);
        return p == null ? CompletableFuture.failedFuture(new InvalidTokenException("bad token"))
                : CompletableFuture.completedFuture(p);
    };
    private final HttpClient client = HttpClient.newHttpClient();
    private FakeModelServer model;
    private FakeTranscriptionServer whisper;
    private LecternServer server;
    private HttpJson http;
    private ContractValidator contract;

    @BeforeEach
    void start() throws Exception {
        model = new FakeModelServer();
        whisper = new FakeTranscriptionServer();
        Path data = dir.resolve("data");
        ServerConfig d = TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_COURSES__SEGMENT_SECONDS", "10", "LECTERN_COURSES__SEGMENT_RETRY_MILLIS", "10"));
        AiConfig ai = TestAi.withTranscription(TestAi.config(model.baseUrl()),
                new AiConfig.Transcription(whisper.baseUrl(), "whisper-1", "", 30_000));
        server = LecternServer.start(d.withAi(ai), Map.of("FAKE_API_KEY", "sk-test"), tokens);
        contract = ContractValidator.load(server.httpPort());
        http = new HttpJson(server.httpPort()).validating(contract);
        // real accounts, made beside the server on the same database
        try (SqlDatabase db = new SqlDatabase(d.storage(), null)) {
            UserRepository users = new UserRepository(db, Clock.systemUTC());
            for (var e : Map.of("root", Role.ADMIN, "lena", Role.TUTOR, "alice", Role.STUDENT, "bob", Role.STUDENT)
                    .entrySet()) {
                long id = users.create(e.getKey() + "@example.org", "$2a$04$unusable", e.getValue(), e.getKey()).id();
                principals.put(e.getKey(), new Principal(Long.toString(id), e.getValue(), "t-" + e.getKey()));
            }
        }
    }

    @AfterEach
    void stop() {
        server.close();
        model.close();
        whisper.close();
    }

    @Test
    void aLectureIsTranscribedAndAQuestionCitesItsTimestamp() throws Exception {
        String region = http.post("/api/org/regions", Map.of("name", "EMEA"), "root").text("id");
        assertThat(http.post("/api/org/regions", Map.of("name", "APAC"), "lena").status()).isEqualTo(403);
        String group = http.post("/api/org/groups", Map.of("region_id", region, "name", "Bio 2026"), "root")
                .text("id");
        String alice = principals.get("alice").userId();
        assertThat(http.put("/api/org/users/" + alice + "/group", Map.of("group_id", group), "root").status())
                .isEqualTo(200);
        JsonNode me = http.get("/api/org/users/me", "alice").body();
        assertThat(me.get("id").isTextual()).isTrue();
        assertThat(me.at("/group/region/name").asText()).isEqualTo("EMEA");

        HttpJson.Reply created = http.post("/api/courses", Map.of("title", "Botany", "code", "BIO101",
                "term", "2026-autumn", "language", "en"), "lena");
        assertThat(created.status()).isEqualTo(201);
        String course = created.text("id");
        assertThat(http.post("/api/courses", Map.of("title", "x"), "alice").status()).isEqualTo(403);
        assertThat(http.get("/api/courses/" + course, "alice").status()).isEqualTo(404);
        assertThat(http.post("/api/courses/" + course + "/groups", Map.of("group_id", group), "lena").status())
                .isEqualTo(204);
        assertThat(http.get("/api/courses/" + course, "alice").text("access")).isEqualTo("student");
        assertThat(http.get("/api/courses", "bob").body().get("courses")).isEmpty();
        assertThat(http.get("/api/courses/" + course, "bob").status()).isEqualTo(404);

        byte[] pdf = Files.readAllBytes(Documents.pdf(dir.resolve("roots.pdf"), List.of("Week one: roots.",
                "Roots absorb water and minerals through root hairs.")));
        HttpJson.Reply material = upload("/api/courses/" + course + "/materials", "lena", "roots.pdf", pdf);
        assertThat(material.status()).as(String.valueOf(material.body())).isEqualTo(201);
        assertThat(material.text("status")).isEqualTo("indexed");

        String lecture = http.post("/api/courses/" + course + "/lectures", Map.of("title", "Photosynthesis",
                "date", "2026-10-05"), "lena").text("id");
        whisper.answers("Welcome to the lecture.", "Chlorophyll absorbs red and blue light in the chloroplasts.",
                "See you next week.").failRequestOnce(1);
        model.enqueue(FakeModelServer.answer("SUMMARY:\nLight and plants.\nKEY POINTS:\n- chlorophyll"));
        HttpJson.Reply rec = upload("/api/lectures/" + lecture + "/recording", "lena", "lecture.mp3",
                recording(dir, "Plants turn light into sugar.", 25));
        assertThat(rec.status()).as(String.valueOf(rec.body())).isEqualTo(201);
        assertThat(rec.text("transcript_status")).isEqualTo("queued");
        await().atMost(Duration.ofSeconds(60)).until(() -> http.get("/api/lectures/" + lecture, "alice")
                .text("transcript_status").equals("transcribed"));

        JsonNode segments = http.get("/api/lectures/" + lecture + "/transcript", "alice").body().get("segments");
        assertThat(segments).hasSize(3);
        assertThat(segments.get(1).get("start_ms").asLong()).isBetween(9_500L, 10_500L);
        HttpJson.Reply vtt = http.get("/api/lectures/" + lecture + "/transcript?format=vtt", "alice");
        assertThat(vtt.raw().headers().firstValue("content-type").orElse("")).startsWith("text/vtt");
        assertThat(vtt.raw().body()).startsWith("WEBVTT").contains("Chlorophyll absorbs red and blue light");
        assertThat(http.get("/api/lectures/" + lecture + "/transcript", "bob").status()).isEqualTo(404);

        // the notes job ran after the transcript; then the question
        await().atMost(Duration.ofSeconds(30)).until(() -> http.get("/api/lectures/" + lecture, "alice")
                .text("notes_status").equals("done"));
        assertThat(http.get("/api/lectures/" + lecture, "alice").text("key_points")).isEqualTo("- chlorophyll");
        model.enqueue(FakeModelServer.answer("Chlorophyll ", "absorbs it [1]."));
        List<JsonNode> events = ask(course, "alice", "What absorbs light in the chloroplasts?");
        JsonNode sources = events.get(0).get("sources");
        assertThat(events.get(0).get("type").asText()).isEqualTo("sources");
        assertThat(sources.get(0).get("type").asText()).isEqualTo("lecture");
        assertThat(sources.get(0).get("id").asText()).isEqualTo(lecture);
        assertThat(sources.get(0).get("start_ms").asLong()).isBetween(9_500L, 10_500L);
        assertThat(sources.get(0).get("citation").asText()).isEqualTo("Photosynthesis @ 0:10");
        StringBuilder answer = new StringBuilder();
        events.stream().filter(e -> e.get("type").asText().equals("chunk"))
                .forEach(e -> answer.append(e.get("text").asText()));
        assertThat(answer).hasToString("Chlorophyll absorbs it [1].");
        assertThat(events.get(events.size() - 1).get("type").asText()).isEqualTo("done");

        List<JsonNode> material2 = ask(course, "alice", "How do roots absorb water?");
        assertThat(material2.get(0).get("sources").get(0).get("citation").asText()).isEqualTo("roots.pdf p. 2");

        List<JsonNode> none = ask(course, "alice", "Who won the 1998 football world cup?");
        assertThat(none).singleElement().satisfies(e -> assertThat(e.get("type").asText()).isEqualTo("no_passage"));
        assertThat(askStatus(course, "bob")).isEqualTo(404);
    }

    private List<JsonNode> ask(String course, String token, String question) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/api/courses/"
                        + course + "/query")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("question", question)))).build();
        HttpResponse<InputStream> r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    JsonNode event = Json.MAPPER.readTree(line.substring(6));
                    contract.checkEvent("POST", "/api/courses/" + course + "/query", event);
                    out.add(event);
                }
            }
        }
        return out;
    }

    private int askStatus(String course, String token) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/api/courses/"
                        + course + "/query")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"question\":\"light\"}")).build();
        return client.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private HttpJson.Reply upload(String path, String token, String filename, byte[] content) throws Exception {
        String boundary = "xBoUnDaRy24";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
        return new HttpJson.Reply(r.statusCode(), r.body().isEmpty() ? null : Json.MAPPER.readTree(r.body()), r);
    }

    /** Spoken text then silence up to {@code seconds}, as MP3 (espeak-ng, ffmpeg). */
    static byte[] recording(Path dir, String text, int seconds) throws Exception {
        Path wav = dir.resolve("speech.wav");
        Path mp3 = dir.resolve("lecture.mp3");
        run(List.of("espeak-ng", "-w", wav.toString(), text));
        run(List.of("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", wav.toString(), "-af",
                "apad=whole_dur=" + seconds, "-ac", "1", "-ar", "16000", "-c:a", "libmp3lame", "-b:a", "16k",
                mp3.toString()));
        return Files.readAllBytes(mp3);
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0).as(out).isTrue();
    }
}

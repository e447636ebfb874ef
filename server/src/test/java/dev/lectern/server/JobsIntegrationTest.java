package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.json.Json;
import dev.lectern.jobs.webhook.SeedSignature;
import dev.lectern.jobs.webhook.StandardWebhooks;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The seed's job routes, the native job routes and the lessons REST over real sockets, on the production wiring. */
class JobsIntegrationTest {
    private static final String SECRET = "the-seeds-webhook-secret";
    private static final TokenVerifier TOKENS = TestTokens.ALICE_AND_BOB;

    private LecternServer server;
    private HttpJson http;
    private final HttpClient raw = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(TestLessons.small(Map.of("LECTERN_JOBS__HEARTBEAT_MILLIS",
                "200", "LECTERN_JOBS__LEASE_MILLIS", "2000"))), Map.of("WEBHOOK_SECRET", SECRET), TOKENS);
        http = new HttpJson(server.httpPort()).validating(ContractValidator.load(server.httpPort()));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private JsonNode awaitTask(String id, String status) {
        JsonNode[] seen = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            seen[0] = http.get("/test/task/" + id, null).body();
            return status.equals(seen[0].path("status").asText());
        });
        return seen[0];
    }

    private JsonNode awaitReady(String sessionId, int version) {
        JsonNode[] seen = new JsonNode[1];
        await().atMost(Duration.ofSeconds(120)).until(() -> {
            seen[0] = http.get("/api/sessions/" + sessionId, "alice").body();
            assertThat(seen[0].path("status").asText()).as(seen[0].toString()).isNotEqualTo("FAILED");
            return "READY".equals(seen[0].path("status").asText()) && seen[0].path("version").asInt() >= version;
        });
        return seen[0];
    }

    @Test
    void aGenerationWithoutScenesNeedsAModel() throws Exception {
        String project = http.post("/api/projects", Map.of("title", "P"), "alice").text("id");
        String session = http.post("/api/projects/" + project + "/sessions", Map.of("prompt", "x", "sceneCount", 1),
                "alice").text("id");
        String job = http.post("/jobs/generate", Map.of("projectId", project, "sessionId", session, "sceneCount", 1,
                "prompt", "x"), "alice").text("jobId");
        await().atMost(Duration.ofSeconds(30)).until(() -> "FAILURE".equals(
                http.get("/api/jobs/" + job, "alice").text("status")));
        assertThat(http.get("/api/jobs/" + job, "alice").text("error")).contains("model_not_configured");
        assertThat(http.get("/api/sessions/" + session, "alice").text("status")).isEqualTo("FAILED");
        HttpJson.Reply bad = http.post("/jobs/generate", Map.of("projectId", project, "sessionId", session,
                "sceneCount", 1, "prompt", "x", "scenes", List.of(Map.of("title", "", "narration", ""))), "alice");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.text("error")).isEqualTo("invalid_scenes");
    }

    @Test
    void theSeedsHelloTaskRunsAndAnUnknownIdIsNotFound() throws Exception {
        HttpJson.Reply queued = http.post("/test/hello?name=Ada", null, null);
        assertThat(queued.status()).isEqualTo(200);
        String id = queued.text("task_id");
        JsonNode done = awaitTask(id, "SUCCESS");
        assertThat(done.path("result").asText()).isEqualTo("Hello Ada!");
        assertThat(http.get("/test/task/" + java.util.UUID.randomUUID(), null).status()).isEqualTo(404);
    }

    private HttpResponse<String> signedPost(String path, String body, String signature) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (signature != null) {
            b.header("X-Webhook-Signature", signature);
        }
        return raw.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aSignedGenerateQueuesOneJobAndAReplayGetsItsId() throws Exception {
        String project = http.post("/api/projects", Map.of("title", "Calculus", "description", "limits"), "alice")
                .text("id");
        HttpJson.Reply session = http.post("/api/projects/" + project + "/sessions",
                Map.of("prompt", "derivatives", "sceneCount", 3), "alice");
        assertThat(session.status()).isEqualTo(201);
        String sessionId = session.text("id");
        String body = Json.write(Map.of("projectId", project, "sessionId", sessionId, "sceneCount", 3,
                "prompt", "Create a video about calculus", "timestamp", System.currentTimeMillis() / 1000,
                "scenes", TestLessons.scenes(3)));
        String sig = SeedSignature.sign(SECRET.getBytes(StandardCharsets.UTF_8), body.getBytes(StandardCharsets.UTF_8));

        HttpResponse<String> first = signedPost("/jobs/generate", body, sig);
        assertThat(first.statusCode()).as("first: %s", first.body()).isEqualTo(200);
        String jobId = Json.MAPPER.readTree(first.body()).path("jobId").asText();
        assertThat(jobId).isNotEmpty();
        // replays while the worker plans, queues the scene jobs and finishes the first job: always its id
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> replay = signedPost("/jobs/generate", body, sig);
            assertThat(replay.statusCode()).as("replay %d: %s", i, replay.body()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(replay.body()).path("jobId").asText()).as("replay %d: %s", i,
                    replay.body()).isEqualTo(jobId);
        }

        HttpResponse<String> tampered = signedPost("/jobs/generate", body.replace("\"sceneCount\":3",
                "\"sceneCount\":4"), sig);
        assertThat(tampered.statusCode()).isEqualTo(401);
        assertThat(Json.MAPPER.readTree(tampered.body()).path("error").asText()).isEqualTo("signature_mismatch");
        HttpResponse<String> unsigned = signedPost("/jobs/generate", body, null);
        assertThat(unsigned.statusCode()).isEqualTo(401);
        assertThat(Json.MAPPER.readTree(unsigned.body()).path("error").asText()).isEqualTo("missing_signature");

        // the job belongs to the project's owner: alice sees it, bob does not
        await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCESS".equals(
                http.get("/api/jobs/" + jobId, "alice").text("status")));
        assertThat(http.get("/api/jobs/" + jobId, "bob").status()).isEqualTo(404);
        assertThat(http.get("/test/task/" + jobId, null).status()).isEqualTo(404);
        assertThat(http.get("/api/jobs?status=SUCCESS&kind=video.generate", "alice").body().path("jobs")).hasSize(1);
        assertThat(http.get("/api/jobs", "bob").body().path("jobs")).isEmpty();

        // one job per scene, then the assembly: the session ends READY with signed links to its media
        JsonNode full = awaitReady(sessionId, 1);
        assertThat(full.path("scenes")).hasSize(3);
        assertThat(full.path("scenes")).allSatisfy(sc -> assertThat(sc.path("video_url").asText())
                .startsWith("/api/objects/lessons/"));
        assertThat(http.get("/api/jobs?kind=video.scene&status=SUCCESS", "alice").body().path("total").asInt())
                .isEqualTo(3);
        String videoUrl = full.path("video_url").asText();
        HttpResponse<byte[]> whole = raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.httpPort() + videoUrl)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("content-type")).contains("video/mp4");
        assertThat(new String(whole.body(), 4, 4, StandardCharsets.US_ASCII)).isEqualTo("ftyp");
        HttpResponse<byte[]> part = raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.httpPort() + videoUrl)).header("Range", "bytes=100-199").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.headers().firstValue("content-range")).contains("bytes 100-199/" + whole.body().length);
        assertThat(part.body()).isEqualTo(java.util.Arrays.copyOfRange(whole.body(), 100, 200));
        HttpResponse<byte[]> captions = raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.httpPort() + full.path("captions_url").asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(new String(captions.body(), StandardCharsets.UTF_8)).startsWith("WEBVTT");
        assertThat(captions.headers().firstValue("content-type").orElse("")).startsWith("text/vtt");
        assertThat(full.path("scenes").get(2).path("position").asInt()).isEqualTo(2);
        String sceneId = full.path("scenes").get(1).path("id").asText();
        assertThat(http.get("/api/scenes/" + sceneId, "alice").status()).isEqualTo(200);
        assertThat(http.get("/api/scenes/" + sceneId, "bob").status()).isEqualTo(404);

        // a user's edit with their token, and a Standard Webhooks signed one
        HttpJson.Reply edit = http.post("/jobs/edit", Map.of("projectId", project, "sessionId", sessionId,
                "sceneId", sceneId, "prompt", "slower", "narration", "Now slower."), "alice");
        assertThat(edit.status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(60)).until(() -> "SUCCESS".equals(
                http.get("/api/jobs/" + edit.text("jobId"), "alice").text("status")));
        assertThat(http.get("/api/scenes/" + sceneId, "alice").body().path("version").asInt()).isEqualTo(2);
        assertThat(http.get("/api/scenes/" + sceneId, "alice").body().path("narration").asText())
                .isEqualTo("Now slower.");
        JsonNode edited = awaitReady(sessionId, 2);
        assertThat(edited.path("video_url").asText()).isNotEqualTo(videoUrl);
        JsonNode versions = http.get("/api/sessions/" + sessionId + "/versions", "alice").body().path("versions");
        assertThat(versions).hasSize(2);
        assertThat(versions.get(0).path("current").asBoolean()).isTrue();
        assertThat(http.get("/api/sessions/" + sessionId + "/versions", "bob").status()).isEqualTo(404);
        HttpJson.Reply restored = http.post("/api/sessions/" + sessionId + "/versions/1/restore", null, "alice");
        assertThat(restored.status()).as(restored.raw().body()).isEqualTo(200);
        assertThat(http.get("/api/scenes/" + sceneId, "alice").body().path("narration").asText())
                .isEqualTo("This is part 2.");
        assertThat(http.post("/api/sessions/" + sessionId + "/versions/7/restore", null, "alice").status())
                .isEqualTo(404);
        String editBody = Json.write(Map.of("projectId", project, "sessionId", sessionId, "sceneId", sceneId,
                "prompt", "faster"));
        long ts = System.currentTimeMillis() / 1000;
        HttpResponse<String> sw = raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort()
                        + "/jobs/edit")).header("Content-Type", "application/json").header("webhook-id", "msg_1")
                .header("webhook-timestamp", Long.toString(ts)).header("webhook-signature", StandardWebhooks.sign(
                        SECRET.getBytes(StandardCharsets.UTF_8), "msg_1", ts, editBody.getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(editBody)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(sw.statusCode()).isEqualTo(200);

        // the ops over HTTP, queued behind the signed edit: a move re-assembles without rendering
        HttpJson.Reply move = http.post("/jobs/edit", Map.of("projectId", project, "sessionId", sessionId,
                "sceneId", sceneId, "op", "move", "position", 0), "alice");
        assertThat(move.status()).as(move.raw().body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(90)).until(() -> "SUCCESS".equals(
                http.get("/api/jobs/" + move.text("jobId"), "alice").text("status")));
        assertThat(http.get("/api/scenes/" + sceneId, "alice").body().path("position").asInt()).isZero();
        HttpJson.Reply insert = http.post("/jobs/edit", Map.of("projectId", project, "sessionId", sessionId,
                "op", "insert", "position", 1, "title", "Between", "narration", "A scene in between.",
                "bullets", List.of("Inserted")), "alice");
        assertThat(insert.status()).as(insert.raw().body()).isEqualTo(200);
        assertThat(insert.text("sceneId")).isEqualTo(insert.text("jobId"));
        await().atMost(Duration.ofSeconds(90)).until(() -> "SUCCESS".equals(
                http.get("/api/jobs/" + insert.text("jobId"), "alice").text("status")));
        JsonNode inserted = http.get("/api/scenes/" + insert.text("sceneId"), "alice").body();
        assertThat(inserted.path("position").asInt()).isEqualTo(1);
        assertThat(inserted.path("video_url").asText()).startsWith("/api/objects/lessons/");
        assertThat(http.post("/jobs/edit", Map.of("projectId", project, "sessionId", sessionId, "sceneId", sceneId,
                "op", "shuffle"), "alice").status()).isEqualTo(400);
        assertThat(http.post("/jobs/edit", Map.of("projectId", project, "sessionId", sessionId, "sceneId", sceneId,
                "op", "move", "position", -1), "alice").status()).isEqualTo(400);
        assertThat(http.post("/jobs/edit", Map.of("projectId", project, "sessionId", sessionId, "op", "insert",
                "title", "Only a title"), "alice").status()).isEqualTo(400);
    }

    @Test
    void projectsAreTheirOwners() throws Exception {
        HttpJson.Reply created = http.post("/api/projects", Map.of("title", "Algebra"), "alice");
        assertThat(created.status()).isEqualTo(201);
        String id = created.text("id");
        assertThat(http.get("/api/projects", "alice").body().path("projects")).hasSize(1);
        assertThat(http.get("/api/projects/" + id, "bob").status()).isEqualTo(404);
        assertThat(http.send("PATCH", "/api/projects/" + id, Map.of("title", "Algebra II"), "alice").text("title"))
                .isEqualTo("Algebra II");
        assertThat(http.send("DELETE", "/api/projects/" + id, null, "bob").status()).isEqualTo(404);
        assertThat(http.send("DELETE", "/api/projects/" + id, null, "alice").status()).isEqualTo(204);
        assertThat(http.get("/api/projects/" + id, "alice").status()).isEqualTo(404);
        assertThat(http.get("/api/projects", null).status()).isEqualTo(401);
    }

    @Test
    void aUserCancelsAndRetriesTheirJob() throws Exception {
        String project = http.post("/api/projects", Map.of("title", "P"), "alice").text("id");
        String session = http.post("/api/projects/" + project + "/sessions", Map.of("prompt", "x", "sceneCount", 1),
                "alice").text("id");
        String job = http.post("/jobs/generate", Map.of("projectId", project, "sessionId", session, "sceneCount", 1,
                "prompt", "x", "scenes", TestLessons.scenes(1)), "alice").text("jobId");
        await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCESS".equals(
                http.get("/api/jobs/" + job, "alice").text("status")));
        assertThat(http.post("/api/jobs/" + job + "/cancel", null, "alice").status()).isEqualTo(409);
        assertThat(http.post("/api/jobs/" + job + "/retry", null, "alice").status()).isEqualTo(409);
        assertThat(http.post("/api/jobs/" + job + "/cancel", null, "bob").status()).isEqualTo(404);
    }
}

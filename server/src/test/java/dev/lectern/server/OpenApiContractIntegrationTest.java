package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.accounts.UserRepository;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.http.Route;
import dev.lectern.testing.TestConfigs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /openapi.json of the production wiring: a valid OpenAPI 3.1 document whose every {@code $ref} resolves, every route
 * typed, and what the typed routes answer over real HTTP validates against it.
 */
class OpenApiContractIntegrationTest {
    @TempDir
    Path dir;
    private final Map<String, Principal> principals = new ConcurrentHashMap<>();
    private final TokenVerifier tokens = token -> {
        Principal p = principals.get(token);
        return p == null ? CompletableFuture.failedFuture(new InvalidTokenException("bad token"))
                : CompletableFuture.completedFuture(p);
    };
    private LecternServer server;
    private ContractValidator contract;
    private HttpJson http;

    @BeforeEach
    void start() throws Exception {
        ServerConfig config = TestConfigs.defaults(TestLessons.small(Map.of(
                "LECTERN_STORAGE__DATA_DIR", dir.resolve("data").toString())));
        server = LecternServer.start(config, Map.of("WEBHOOK_SECRET", "s"), tokens);
        try (SqlDatabase db = new SqlDatabase(config.storage(), null)) {
            UserRepository users = new UserRepository(db, Clock.systemUTC());
            for (var e : Map.of("root", Role.ADMIN, "lena", Role.TUTOR, "alice", Role.STUDENT).entrySet()) {
                long id = users.create(e.getKey() + "@example.org", "$2a$04$unusable", e.getValue(), e.getKey()).id();
                principals.put(e.getKey(), new Principal(Long.toString(id), e.getValue(), "t-" + e.getKey()));
            }
        }
        contract = ContractValidator.load(server.httpPort());
        http = new HttpJson(server.httpPort()).validating(contract);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void theDocumentIsValidOpenApi31AndEveryRefResolves() {
        assertThat(contract.documentProblems()).isEmpty();
        JsonNode doc = contract.document();
        assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");
        assertThat(doc.at("/components/schemas/Error/properties").has("msg")).isTrue();
        assertThat(doc.at("/components/schemas/JobView/properties/maxAttempts/type").asText()).isEqualTo("integer");
        assertThat(doc.at("/components/schemas/LectureView/properties").has("transcript_status")).isTrue();
    }

    @Test
    void everyJsonRouteDeclaresItsResponseType() {
        List<String> untyped = new ArrayList<>();
        for (Route r : server.app().router().routes()) {
            if (!contract.typed(r.method(), r.template())) {
                untyped.add(r.method() + " " + r.template());
            }
        }
        assertThat(untyped).as("routes that declare no response type").isEmpty();
    }

    @Test
    void aReplyThatBreaksTheDocumentIsReportedReadably() throws Exception {
        String job = "{\"id\":\"j\",\"kind\":\"k\",\"status\":\"SUCCESS\",\"owner\":null,\"priority\":0,"
                + "\"attempts\":1,\"maxAttempts\":1,\"progress\":100.0,\"progressMessage\":null,"
                + "\"partialResult\":null,\"result\":\"x\",\"error\":null,\"cancelRequested\":false,"
                + "\"runAt\":\"t\",\"createdAt\":\"t\",\"startedAt\":null,\"finishedAt\":null}";
        assertThat(contract.problems("GET", "/api/jobs/j", 200, "application/json", job)).isEmpty();
        assertThat(contract.problems("GET", "/api/jobs/j", 200, "application/json",
                job.replace("\"kind\":\"k\",", "\"surprise\":1,"))).anySatisfy(p -> assertThat(p)
                .contains("surprise")).anySatisfy(p -> assertThat(p).contains("kind"));
        assertThat(contract.problems("GET", "/api/jobs/j", 200, "application/json",
                job.replace("\"SUCCESS\"", "\"DONE\""))).isNotEmpty();
        assertThat(contract.problems("GET", "/api/jobs/j", 418, "application/json", "{}"))
                .containsExactly("status 418 is not documented (documented: [200, 401, 404, 429, 503])");
        assertThat(contract.problems("GET", "/api/jobs/j", 200, "text/html", "<p>")).singleElement()
                .asString().contains("text/html is not documented");
        assertThat(contract.problems("GET", "/api/jobs/j", 404, "application/json", "{\"error\":\"not_found\"}"))
                .anySatisfy(p -> assertThat(p).contains("message")).anySatisfy(p -> assertThat(p).contains("requestId"));
        assertThat(contract.problems("GET", "/api/nothing/here", 200, null, "")).singleElement().asString()
                .contains("no documented path");
        // an event of the chat stream: its documented fields pass, a field the type does not have or a wrong type fails
        contract.checkEvent("POST", "/api/chat/stream", Json.MAPPER.readTree(
                "{\"status\":\"streaming\",\"chunk\":\"Hel\"}"));
        assertThatThrownBy(() -> contract.checkEvent("POST", "/api/chat/stream", Json.MAPPER.readTree(
                "{\"status\":\"streaming\",\"chunk\":\"Hel\",\"surprise\":1}")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("surprise");
        assertThatThrownBy(() -> contract.checkEvent("POST", "/api/chat/stream", Json.MAPPER.readTree(
                "{\"status\":\"audio\",\"index\":\"first\"}")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("index");
        assertThatThrownBy(() -> contract.check("GET", "/api/jobs/j", 418, "application/json", "{}"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("GET /api/jobs/j → 418 breaks /openapi.json");
    }

    @Test
    void theTypedRoutesAnswerWhatTheDocumentSays() throws Exception {
        assertThat(http.get("/openapi.json", null).status()).isEqualTo(200);
        assertThat(http.get("/api/webrtc/config", "alice").status()).isEqualTo(200);

        // jobs: the seed's hello task, the native views, a conflict and a miss (Error bodies)
        String task = http.post("/test/hello?name=Ada", null, null).text("task_id");
        await().atMost(Duration.ofSeconds(30)).until(() ->
                "SUCCESS".equals(http.get("/test/task/" + task, null).text("status")));
        assertThat(http.get("/test/task/nope", null).status()).isEqualTo(404);
        assertThat(http.get("/api/jobs?page_size=5", "root").body().get("jobs")).isNotEmpty();
        assertThat(http.get("/api/jobs/" + task, "root").text("status")).isEqualTo("SUCCESS");
        assertThat(http.post("/api/jobs/" + task + "/cancel", null, "root").status()).isEqualTo(409);
        assertThat(http.post("/api/jobs/" + task + "/retry", null, "root").status()).isEqualTo(409);
        assertThat(http.get("/api/jobs/" + task, "alice").status()).isEqualTo(404);

        // lessons: a project, a session and its (empty) lesson
        String project = http.post("/api/projects", Map.of("title", "Calculus", "description", "limits"), "alice")
                .text("id");
        assertThat(http.get("/api/projects", "alice").body().get("total").asLong()).isEqualTo(1);
        assertThat(http.patch("/api/projects/" + project, Map.of("title", "Calculus I"), "alice").status())
                .isEqualTo(200);
        String session = http.post("/api/projects/" + project + "/sessions", Map.of("prompt", "limits",
                "sceneCount", 1), "alice").text("id");
        assertThat(http.get("/api/projects/" + project + "/sessions", "alice").status()).isEqualTo(200);
        assertThat(http.get("/api/sessions/" + session, "alice").status()).isEqualTo(200);
        assertThat(http.get("/api/sessions/" + session + "/versions", "alice").status()).isEqualTo(200);
        assertThat(http.post("/api/sessions/" + session + "/versions/7/restore", null, "alice").status())
                .isEqualTo(404);
        assertThat(http.get("/api/scenes/nope", "alice").status()).isEqualTo(404);
        HttpJson.Reply generate = http.post("/jobs/generate", Map.of("projectId", project, "sessionId", session,
                "sceneCount", 1, "prompt", "limits"), "alice");
        assertThat(generate.text("jobId")).as(generate.raw().body()).isNotBlank();
        // (an inserted scene's {jobId, sceneId}: JobsIntegrationTest, validating too)

        // the organisation and a course with a lecture, a material and its members
        String region = http.post("/api/org/regions", Map.of("name", "EMEA"), "root").text("id");
        String group = http.post("/api/org/groups", Map.of("region_id", region, "name", "Bio"), "root").text("id");
        String alice = principals.get("alice").userId();
        assertThat(http.put("/api/org/users/" + alice + "/group", Map.of("group_id", group), "root").status())
                .isEqualTo(200);
        assertThat(http.put("/api/org/users/" + alice + "/role", Map.of("role", "student"), "root").status())
                .isEqualTo(200);
        assertThat(http.get("/api/org/regions", "alice").status()).isEqualTo(200);
        assertThat(http.get("/api/org/groups", "alice").status()).isEqualTo(200);
        assertThat(http.get("/api/org/users", "root").status()).isEqualTo(200);
        assertThat(http.get("/api/org/users/me", "alice").text("id")).isEqualTo(alice);
        assertThat(http.get("/api/org/users/" + principals.get("lena").userId(), "root").status()).isEqualTo(200);
        String course = http.post("/api/courses", Map.of("title", "Botany", "code", "BIO101"), "lena").text("id");
        assertThat(http.post("/api/courses", Map.of("title", "x"), "alice").status()).isEqualTo(403);
        assertThat(http.post("/api/courses/" + course + "/groups", Map.of("group_id", group), "lena").status())
                .isEqualTo(204);
        assertThat(http.post("/api/courses/" + course + "/students", Map.of("user_id", alice), "lena").status())
                .isEqualTo(204);
        assertThat(http.get("/api/courses/" + course, "lena").text("access")).isEqualTo("lecturer");
        assertThat(http.get("/api/courses", "alice").body().get("courses")).hasSize(1);
        assertThat(http.patch("/api/courses/" + course, Map.of("term", "2026-autumn"), "lena").status())
                .isEqualTo(200);
        String lecture = http.post("/api/courses/" + course + "/lectures", Map.of("title", "Roots",
                "date", "2026-10-05"), "lena").text("id");
        assertThat(http.get("/api/courses/" + course + "/lectures", "alice").status()).isEqualTo(200);
        assertThat(http.patch("/api/lectures/" + lecture, Map.of("position", 0), "lena").status()).isEqualTo(200);
        assertThat(http.get("/api/lectures/" + lecture, "alice").status()).isEqualTo(200);
        assertThat(http.get("/api/lectures/" + lecture + "/transcript", "alice").status()).isEqualTo(200);
        assertThat(http.get("/api/lectures/" + lecture + "/transcript?format=vtt", "alice").status())
                .isEqualTo(200);
        assertThat(http.get("/api/lectures/" + lecture + "/recording", "alice").status()).isEqualTo(404);
        HttpJson.Reply material = http.upload("/api/courses/" + course + "/materials", "lena",
                Map.of("lecture_id", lecture), "roots.txt",
                "Roots absorb water and minerals through root hairs.".getBytes(StandardCharsets.UTF_8));
        assertThat(material.status()).isEqualTo(201);
        assertThat(http.get("/api/courses/" + course + "/materials", "alice").status()).isEqualTo(200);
        assertThat(http.delete("/api/courses/" + course + "/materials/" + material.text("id"), "lena").status())
                .isEqualTo(204);
        assertThat(http.delete("/api/courses/" + course + "/students/" + alice, "lena").status()).isEqualTo(204);
        assertThat(http.delete("/api/lectures/" + lecture, "lena").status()).isEqualTo(204);
        assertThat(http.delete("/api/courses/" + course, "lena").status()).isEqualTo(204);
        assertThat(http.delete("/api/projects/" + project, "alice").status()).isEqualTo(204);
    }
}

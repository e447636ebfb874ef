package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.accounts.UserRepository;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/courses/{id}/exams/mine} over real HTTP on the production wiring: a student of the course sees its
 * published exams (never a draft) and where they stand, not started → in progress → submitted → released with the
 * score; a student of another course, and the course's lecturer (who does not sit exams), get a 404.
 */
class StudentExamsIntegrationTest {
    private final Map<String, Principal> principals = new ConcurrentHashMap<>();
    private final TokenVerifier tokens = token -> {
        Principal p = principals.get(token);
        return p == null ? CompletableFuture.failedFuture(new InvalidTokenException("bad token"))
                : CompletableFuture.completedFuture(p);
    };
    private LecternServer server;
    private HttpJson http;

    @BeforeEach
    void start() throws Exception {
        ServerConfig config = TestConfigs.defaults(Map.of("LECTERN_JOBS__HEARTBEAT_MILLIS", "200",
                "LECTERN_JOBS__LEASE_MILLIS", "5000"));
        server = LecternServer.start(config, Map.of(), tokens);
        http = new HttpJson(server.httpPort(), Duration.ofSeconds(30));
        try (SqlDatabase side = new SqlDatabase(config.storage(), null)) {
            UserRepository users = new UserRepository(side, Clock.systemUTC());
            for (String name : List.of("lena", "sam", "tia")) {
                Role role = name.equals("lena") ? Role.TUTOR : Role.STUDENT;
                long id = users.create(name + "@example.org", "$2a$04$unusable", role, name).id();
                principals.put(name, new Principal(Long.toString(id), role, "t-" + name));
            }
        }
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private JsonNode ok(HttpJson.Reply reply) {
        assertThat(reply.status()).as(reply.raw().body()).isBetween(200, 201);
        return reply.body();
    }

    /** A draft single-choice question of the course, approved; returns its id. */
    private String question(String course, String passage, String stem, String key) throws Exception {
        JsonNode q = ok(http.post("/api/courses/" + course + "/questions", Map.of("type", "single_choice", "stem", stem,
                "points", 2, "options", List.of(ExamsIntegrationTest.opt("a", key, true),
                        ExamsIntegrationTest.opt("b", "Helium", false)),
                "citation", Map.of("passageId", passage, "quote", "Plants take up carbon dioxide")), "lena"));
        ok(http.post("/api/questions/" + q.path("id").asText() + "/approve", Map.of("version", 1), "lena"));
        return q.path("id").asText();
    }

    private JsonNode mine(String token, String course) throws Exception {
        return ok(http.get("/api/courses/" + course + "/exams/mine", token));
    }

    @Test
    void aStudentSeesThePublishedExamsOfTheCourseWithTheirStatusAndReleasedScore() throws Exception {
        ExamsIntegrationTest.Course course = ExamsIntegrationTest.course(http, "lena",
                List.of(principals.get("sam").userId()));
        String c = course.id();
        String q1 = question(c, course.p1(), "Which gas do plants take up?", "Carbon dioxide");
        String q2 = question(c, course.p1(), "Name the gas plants absorb from the air during the day.", "CO2");
        String published = ok(http.post("/api/courses/" + c + "/exams", Map.of("title", "Quiz 1", "questionIds",
                List.of(q1, q2)), "lena")).path("id").asText();
        ok(http.post("/api/courses/" + c + "/exams", Map.of("title", "Still a draft", "questionIds", List.of(q1)),
                "lena"));
        assertThat(mine("sam", c).path("exams")).isEmpty();
        long now = System.currentTimeMillis();
        ok(http.post("/api/exams/" + published + "/publish", Map.of("version", 1, "opensAt", now - 1000,
                "closesAt", now + 3_600_000, "timeLimitMillis", 600_000), "lena"));

        JsonNode list = mine("sam", c);
        assertThat(list.path("serverNow").asLong()).isGreaterThanOrEqualTo(now);
        assertThat(list.path("exams")).hasSize(1);
        JsonNode e = list.path("exams").get(0);
        assertThat(e.path("examId").asText()).isEqualTo(published);
        assertThat(e.path("title").asText()).isEqualTo("Quiz 1");
        assertThat(e.path("status").asText()).isEqualTo("not_started");
        assertThat(e.path("open").asBoolean()).isTrue();
        assertThat(e.path("opensAt").asLong()).isEqualTo(now - 1000);
        assertThat(e.path("timeLimitMillis").asLong()).isEqualTo(600_000);
        assertThat(e.path("attemptId").isNull()).isTrue();
        assertThat(e.path("score").isNull()).isTrue();
        assertThat(http.get("/api/courses/" + c + "/exams/mine", "tia").status()).isEqualTo(404);
        assertThat(http.get("/api/courses/" + c + "/exams/mine", "lena").status()).isEqualTo(404);

        JsonNode attempt = ok(http.post("/api/exams/" + published + "/attempts", null, "sam"));
        String attemptId = attempt.path("attemptId").asText();
        e = mine("sam", c).path("exams").get(0);
        assertThat(e.path("status").asText()).isEqualTo("in_progress");
        assertThat(e.path("attemptId").asText()).isEqualTo(attemptId);
        assertThat(e.path("deadlineAt").asLong()).isEqualTo(attempt.path("deadlineAt").asLong());

        for (JsonNode shown : attempt.path("questions")) {
            String pick = shown.path("questionId").asText().equals(q1) ? "a" : "b"; // one right, one wrong
            ok(http.put("/api/attempts/" + attemptId + "/answers/" + shown.path("questionId").asText(),
                    Map.of("response", Map.of("selected", List.of(pick))), "sam"));
        }
        ok(http.post("/api/attempts/" + attemptId + "/submit", null, "sam"));
        e = mine("sam", c).path("exams").get(0);
        assertThat(e.path("status").asText()).isEqualTo("submitted");
        assertThat(e.path("submittedAt").isIntegralNumber()).isTrue();
        assertThat(e.path("score").isNull()).isTrue();

        await().atMost(Duration.ofSeconds(30)).until(() -> http.post("/api/exams/" + published + "/release", null,
                "lena").status() == 200);
        e = mine("sam", c).path("exams").get(0);
        assertThat(e.path("status").asText()).isEqualTo("released");
        assertThat(e.path("score").asDouble()).isEqualTo(2.0);
        assertThat(e.path("maxPoints").asDouble()).isEqualTo(4.0);
        assertThat(e.path("releasedAt").isIntegralNumber()).isTrue();
    }
}

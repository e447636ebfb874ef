package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.console.BrowserScript;
import dev.lectern.core.json.Json;
import dev.lectern.testing.TestConfigs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The console's Exams tab in a real headless Chromium (tests/js/e2e/exams.mjs, playwright-core) against the production
 * wiring with a fake OpenAI-compatible model on a real socket: a lecturer signs in, generates an exam from the course's
 * text (the model's ungrounded question is dropped), writes a rubric, points the essay at it, approves, reorders and
 * publishes; a student takes the exam (autosave, timer from the server's deadline) and submits; the lecturer sees the
 * model's per-criterion grade with its quoted span highlighted, overrides it, releases and downloads the CSV; the student
 * then sees the released result. Screenshots go to {@code server/target/screenshots}.
 */
class ExamsConsoleE2eTest {
    private static final String PASSWORD = "Correct-horse-42";
    private static final String KEY = "Carbon dioxide";
    private static final String ESSAY = "CO₂ absorbs infrared radiation and re-emits it, warming the air. <b>bold</b>";
    private static final String ESSAY_STEM = "Explain how carbon dioxide warms the lower atmosphere.";

    private FakeModelServer upstream;
    private LecternServer server;
    private HttpJson http;

    @BeforeEach
    void start() throws Exception {
        BrowserScript.assumeBrowser();
        upstream = new FakeModelServer();
        ServerConfig config = TestConfigs.defaults(Map.of("LECTERN_ACCOUNTS__BCRYPT_COST", "4",
                "LECTERN_JOBS__HEARTBEAT_MILLIS", "200", "LECTERN_JOBS__LEASE_MILLIS", "5000"))
                .withAi(TestAi.config(upstream.baseUrl()));
        server = LecternServer.start(config, Map.of("FAKE_API_KEY", "sk-test"));
        http = new HttpJson(server.httpPort(), Duration.ofSeconds(60));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void lecturerBuildsAndGradesStudentTakesAndSeesTheResult() throws Exception {
        BrowserScript.account(http, server, "lena@example.com", PASSWORD, "tutor");
        String sam = BrowserScript.account(http, server, "sam@example.com", PASSWORD, "student");
        ExamsIntegrationTest.Course course = ExamsIntegrationTest.course(http, lena(), List.of(sam));
        // the model's exam: two grounded questions and one whose citation is not in the course (dropped)
        upstream.enqueue(FakeModelServer.answer(Json.write(Map.of("questions", List.of(
                ExamsIntegrationTest.q("single_choice", "Which gas do plants take up during photosynthesis?", List.of(
                        ExamsIntegrationTest.opt("a", KEY, true), ExamsIntegrationTest.opt("b", "Oxygen", false),
                        ExamsIntegrationTest.opt("c", "Helium", false)), null, null, "", course.p1(),
                        "Plants take up carbon dioxide (CO₂) from the air"),
                ExamsIntegrationTest.q("single_choice", "Which planet is the largest?", List.of(
                        ExamsIntegrationTest.opt("a", "Jupiter", true), ExamsIntegrationTest.opt("b", "Mars", false)),
                        null, null, "", course.p1(), "Jupiter is the largest planet"),
                ExamsIntegrationTest.q("essay", ESSAY_STEM, List.of(), null, null,
                        "It absorbs infrared radiation and re-emits it.", course.p2(),
                        "absorbs infrared radiation and re-emits it"))))));
        upstream.enqueue(ExamsIntegrationTest.grader(upstream));

        JsonNode result = BrowserScript.run("exams.mjs", Map.of(
                "LECTERN_URL", "http://127.0.0.1:" + server.httpPort(),
                "E2E_SHOTS", TestConfigs.home().resolve("server/target/screenshots").toString(),
                "E2E_PASSWORD", PASSWORD,
                "E2E_LECTURER", "lena@example.com",
                "E2E_STUDENT", "sam@example.com",
                "E2E_COURSE", course.id(),
                "E2E_KEY", KEY,
                "E2E_ESSAY", ESSAY));
        System.out.println("exams console e2e: " + result);

        // generation: the request was grounded in the course's text, the made-up question dropped
        String prompt = upstream.requests().get(0).path("messages").toString();
        assertThat(prompt).contains("absorbs infrared radiation");
        assertThat(result.path("generated").asText()).isEqualTo("Generated 2 question(s); dropped 1.");
        assertThat(Json.MAPPER.convertValue(result.path("citations"), List.class)).containsExactlyInAnyOrder(
                "Plants take up carbon dioxide (CO₂) from the air", "absorbs infrared radiation and re-emits it");
        assertThat(result.path("rubricSaved").asText()).isEqualTo("Saved “Greenhouse essay”, version 1.");

        // the exam on the server is what the page built: reordered, essay on the rubric with 4 points, published
        String examId = result.path("examId").asText();
        JsonNode exam = http.get("/api/exams/" + examId, lena()).body();
        assertThat(exam.path("exam").path("status").asText()).isEqualTo("published");
        assertThat(exam.path("exam").path("timeLimitMillis").asLong()).isEqualTo(30 * 60_000L);
        List<String> stems = new ArrayList<>();
        exam.path("questions").forEach(q -> stems.add(q.path("content").path("stem").asText()));
        assertThat(Json.MAPPER.convertValue(result.path("order"), List.class)).isEqualTo(stems);
        JsonNode essayQuestion = exam.path("questions").get(stems.indexOf(ESSAY_STEM));
        assertThat(essayQuestion.path("content").path("points").asDouble()).isEqualTo(4.0);
        assertThat(essayQuestion.path("content").path("rubricId").asText()).isNotBlank();
        assertThat(essayQuestion.path("status").asText()).isEqualTo("approved");
        assertThat(result.path("published").asText()).contains("published");

        // taking: the timer runs from the server's deadline, both answers autosaved, submission final
        assertThat(result.path("timer").asText()).matches("Time left 0:(29|30):\\d\\d");
        assertThat(Json.MAPPER.convertValue(result.path("saved"), List.class)).containsExactly("Saved", "Saved");
        assertThat(result.path("submitted").asText()).startsWith("Submitted.");
        assertThat(result.path("inputsDisabledAfterSubmit").asBoolean()).isTrue();
        assertThat(result.path("beforeRelease").asText()).isEqualTo("Results are not released yet.");

        // review: the model's grade per criterion with its quote highlighted in the answer, then the override
        assertThat(result.path("modelPointsLine").asText()).isEqualTo("4 / 4 points · model · model 4");
        JsonNode criterion = result.path("modelCriteria").get(0);
        assertThat(criterion.get(0).asText()).isEqualTo("Mechanism");
        assertThat(criterion.get(1).asText()).isEqualTo("Named");
        assertThat(criterion.get(3).asText()).isEqualTo("Judged on whether infrared absorption is named.");
        assertThat(result.path("highlighted").asText()).isEqualTo(ESSAY.substring(0, 25));
        assertThat(result.path("overriddenLine").asText()).contains("2 / 4 points", "model 4", "lecturer 2");
        assertThat(result.path("released").asText()).isEqualTo("Results released to the students.");
        assertThat(result.path("agreementAfter").asText()).contains("over 1 graded answer(s), 1 overridden");
        assertThat(result.path("items")).hasSize(2);
        assertThat(result.path("csvName").asText()).isEqualTo("results.csv");
        assertThat(result.path("csv").asText()).contains(sam + ",").contains(",released,");

        // the student's released result, the essay (with its markup) shown as text
        assertThat(result.path("total").asText()).isEqualTo("Greenhouse quiz: 3 of 5 points");
        assertThat(result.path("resultAnswers").toString()).contains("Your answer: " + KEY, ESSAY.replace("\"", "\\\""),
                "Comment: Good, but name the re-emission.");
        JsonNode grades = http.get("/api/exams/" + examId + "/grades", lena()).body().path("attempts").get(0);
        assertThat(grades.path("total").asDouble()).isEqualTo(3.0);

        assertThat(result.path("errors")).as("page errors").isEmpty();
        assertThat(Json.MAPPER.convertValue(result.path("failedResponses"), List.class))
                .as("the only refused request: results asked for before release")
                .containsExactly("student 404 /api/attempts/" + grades.path("attemptId").asText() + "/results");
    }

    private String lena() throws Exception {
        return http.post("/api/login", Map.of("email", "lena@example.com", "password", PASSWORD), null).text("token");
    }
}

package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.accounts.UserRepository;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #25 end to end over real HTTP on the production wiring, with an OpenAI-compatible fake model on a real socket:
 * a lecturer generates an exam from the course's text, edits and publishes it, two students take it, the essays are
 * graded against a rubric, the lecturer overrides one grade and releases, and the CSV and item analysis match.
 */
class ExamsIntegrationTest {
    private final Map<String, Principal> principals = new ConcurrentHashMap<>();
    private final TokenVerifier tokens = token -> {
        Principal p = principals.get(token);
        return p == null ? CompletableFuture.failedFuture(new InvalidTokenException("bad token"))
                : CompletableFuture.completedFuture(p);
    };
    private Course course;

    private FakeModelServer upstream;
    private LecternServer server;
    private SqlDatabase side;
    private HttpJson http;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeModelServer();
        ServerConfig config = TestConfigs.defaults(Map.of("LECTERN_JOBS__HEARTBEAT_MILLIS", "200",
                "LECTERN_JOBS__LEASE_MILLIS", "5000")).withAi(TestAi.config(upstream.baseUrl()));
        server = LecternServer.start(config, Map.of("FAKE_API_KEY", "sk-test"), tokens);
        http = new HttpJson(server.httpPort(), Duration.ofSeconds(30))
                .validating(ContractValidator.load(server.httpPort()));
        // real accounts beside the server on its database; the course (lena's, sam and tia enrolled) over its API
        side = new SqlDatabase(config.storage(), null);
        UserRepository users = new UserRepository(side, Clock.systemUTC());
        for (String name : List.of("lena", "sam", "tia")) {
            Role role = name.equals("lena") ? Role.TUTOR : Role.STUDENT;
            long id = users.create(name + "@example.org", "$2a$04$unusable", role, name).id();
            principals.put(name, new Principal(Long.toString(id), role, "t-" + name));
        }
        course = course(http, "lena", List.of(principals.get("sam").userId(), principals.get("tia").userId()));
    }

    /** A course of the courses feature and the ids of its two passages (photosynthesis, the greenhouse effect). */
    record Course(String id, String p1, String p2) {}

    /**
     * The course through the courses API: the lecturer creates it and enrols the students; two lectures, each with an
     * attached Markdown material, give its text.
     */
    static Course course(HttpJson http, String lecturerToken, List<String> studentIds) throws Exception {
        HttpJson.Reply created = http.post("/api/courses", Map.of("title", "Chemistry", "code", "CHEM101"),
                lecturerToken);
        assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
        String id = created.text("id");
        for (String student : studentIds) {
            assertThat(http.post("/api/courses/" + id + "/students", Map.of("user_id", student), lecturerToken)
                    .status()).isEqualTo(204);
        }
        String[][] materials = {{"Photosynthesis", "photosynthesis.md",
                "Plants take up carbon dioxide (CO₂) from the air and release oxygen during photosynthesis."},
            {"Greenhouse effect", "greenhouse.md",
                "Carbon dioxide absorbs infrared radiation and re-emits it, which warms the lower atmosphere."}};
        List<String> passages = new ArrayList<>();
        for (String[] m : materials) {
            String lecture = http.post("/api/courses/" + id + "/lectures", Map.of("title", m[0]), lecturerToken)
                    .text("id");
            HttpJson.Reply up = http.upload("/api/courses/" + id + "/materials", lecturerToken,
                    Map.of("lecture_id", lecture), m[1], m[2].getBytes(StandardCharsets.UTF_8));
            assertThat(up.status()).as(up.raw().body()).isEqualTo(201);
            passages.add("material:" + up.text("id") + ":p0:0"); // a Markdown file: page 0, one chunk here
        }
        return new Course(id, passages.get(0), passages.get(1));
    }

    @AfterEach
    void stop() {
        side.close();
        server.close();
        upstream.close();
    }

    static Map<String, Object> q(String type, String stem, List<Map<String, Object>> options, Double answer,
                                         Double tolerance, String model, String passage, String quote) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("stem", stem);
        m.put("options", options);
        m.put("numericAnswer", answer);
        m.put("tolerance", tolerance);
        m.put("modelAnswer", model);
        m.put("explanation", "");
        m.put("citation", Map.of("passageId", passage, "quote", quote));
        return m;
    }

    static Map<String, Object> opt(String id, String text, boolean correct) {
        return Map.of("id", id, "text", text, "correct", correct, "feedback", "");
    }

    /** Grades each criterion by whether the student's answer names infrared; quotes the answer's first words. */
    static FakeModelServer.Script grader(FakeModelServer upstream) {
        return ex -> {
            JsonNode request = upstream.requests().get(upstream.requests().size() - 1);
            String user = request.path("messages").get(1).path("content").asText();
            String answer = user.substring(user.indexOf("\"\"\"\n") + 4, user.lastIndexOf("\n\"\"\""));
            List<String[]> ratings = new ArrayList<>();
            Matcher m = Pattern.compile("\n- (\\S+) \\(([0-9.]+) points\\)").matcher(user);
            while (m.find()) {
                ratings.add(new String[] {m.group(1), m.group(2)});
            }
            String[] pick = answer.contains("infrared") ? ratings.get(0) : ratings.get(ratings.size() - 1);
            FakeModelServer.answer(Json.write(Map.of("ratingId", pick[0], "points", Double.parseDouble(pick[1]),
                    "justification", "Judged on whether infrared absorption is named.", "quote",
                    answer.substring(0, Math.min(25, answer.length()))))).run(ex);
        };
    }

    private JsonNode ok(HttpJson.Reply reply) {
        assertThat(reply.status()).as(reply.raw().body()).isBetween(200, 202);
        return reply.body();
    }

    @Test
    void generateEditPublishTakeGradeOverrideRelease() throws Exception {
        // 1. generation from the course's text, one question made up by the model and dropped
        upstream.enqueue(FakeModelServer.answer(Json.write(Map.of("questions", List.of(
                q("single_choice", "Which gas do plants take up during photosynthesis?", List.of(
                        opt("a", "Carbon dioxide", true), opt("b", "Oxygen", false), opt("c", "Helium", false)),
                        null, null, "", course.p1(), "Plants take up carbon dioxide (CO₂) from the air"),
                q("single_choice", "Which planet is the largest?", List.of(opt("a", "Jupiter", true),
                        opt("b", "Mars", false)), null, null, "", course.p1(), "Jupiter is the largest planet"),
                q("true_false", "Plants release oxygen during photosynthesis.", List.of(opt("true", "True", true),
                        opt("false", "False", false)), null, null, "", course.p1(),
                        "release oxygen during photosynthesis"),
                q("essay", "Explain how carbon dioxide warms the lower atmosphere.", List.of(), null, null,
                        "It absorbs infrared radiation and re-emits it.", course.p2(),
                        "absorbs infrared radiation and re-emits it"))))));
        upstream.enqueue(FakeModelServer.answer(Json.write(Map.of("questions", List.of(
                q("single_choice", "What does the lecture say plants release during photosynthesis?", List.of(
                        opt("a", "Oxygen", true), opt("b", "Methane", false), opt("c", "Nitrogen", false)),
                        null, null, "", course.p1(), "release oxygen during photosynthesis"))))));
        String jobId = ok(http.post("/api/courses/" + course.id() + "/exams/generate", Map.of("counts",
                Map.of("single_choice", 2, "true_false", 1, "essay", 1), "examTitle", "Midterm", "bloom", "understand"),
                "lena")).path("jobId").asText();
        JsonNode job = awaitJob(jobId, "lena");
        assertThat(job.path("status").asText()).as(job.toString()).isEqualTo("SUCCESS");
        assertThat(job.path("result").path("kept").asInt()).isEqualTo(4);
        assertThat(job.path("result").path("dropped").toString()).contains("not found in the course's passages");
        String examId = job.path("result").path("examId").asText();
        assertThat(http.get("/api/courses/" + course.id() + "/questions", "sam").status()).isEqualTo(404);

        // 2. a rubric, the essay pointed at it (a new version), everything approved, the order changed, published
        JsonNode rubric = ok(http.post("/api/courses/" + course.id() + "/rubrics", Map.of("title", "Greenhouse essay",
                "criteria", List.of(
                        Map.of("description", "Mechanism", "longDescription", "Names infrared absorption",
                                "ratings", List.of(Map.of("description", "Named", "points", 3),
                                        Map.of("description", "Missing", "points", 0))),
                        Map.of("description", "Clarity", "ratings", List.of(Map.of("description", "Clear",
                                "points", 1), Map.of("description", "Unclear", "points", 0))))), "lena"));
        assertThat(rubric.path("criteria").get(0).path("id").asText()).isEqualTo("c1");
        JsonNode exam = ok(http.get("/api/exams/" + examId, "lena"));
        List<String> ids = new ArrayList<>();
        String essayId = null;
        for (JsonNode question : exam.path("questions")) {
            ids.add(question.path("id").asText());
            JsonNode content = question.path("content");
            int version = question.path("version").asInt();
            if (content.path("type").asText().equals("essay")) {
                essayId = question.path("id").asText();
                Map<String, Object> edited = Json.MAPPER.convertValue(content, Map.class);
                edited.put("rubricId", rubric.path("id").asText());
                edited.put("points", 4);
                edited.put("version", version);
                version = ok(http.put("/api/questions/" + essayId, edited, "lena")).path("version").asInt();
            }
            ok(http.post("/api/questions/" + question.path("id").asText() + "/approve", Map.of("version", version),
                    "lena"));
        }
        assertThat(ok(http.get("/api/questions/" + essayId + "/versions", "lena")).path("versions")).hasSize(3);
        List<String> order = new ArrayList<>(List.of(essayId));
        ids.stream().filter(id -> !order.contains(id)).forEach(order::add);
        ok(http.send("PATCH", "/api/exams/" + examId, Map.of("version", 1, "questionIds", order), "lena"));
        long now = System.currentTimeMillis();
        JsonNode published = ok(http.post("/api/exams/" + examId + "/publish", Map.of("version", 2, "opensAt",
                now - 1000, "closesAt", now + 3_600_000, "timeLimitMillis", 1_800_000), "lena"));
        assertThat(published.path("status").asText()).isEqualTo("published");

        // 3. two students take it
        Map<String, String> keys = new LinkedHashMap<>();
        for (JsonNode question : exam.path("questions")) {
            for (JsonNode o : question.path("content").path("options")) {
                if (o.path("correct").asBoolean()) {
                    keys.put(question.path("id").asText(), o.path("id").asText());
                }
            }
        }
        String samAttempt = take("sam", examId, keys, essayId, true,
                "CO₂ absorbs infrared radiation and re-emits it, warming the air.");
        JsonNode samGrades = awaitGraded(examId, "sam");
        assertThat(samGrades.path("total").asDouble()).isEqualTo(7.0);
        String tiaAttempt = take("tia", examId, keys, essayId, false, "It is a gas that traps heat somehow.");
        JsonNode tiaGrades = awaitGraded(examId, "tia");
        assertThat(tiaGrades.path("total").asDouble()).isEqualTo(0.0);
        JsonNode tiaEssay = tiaGrades.path("answers").get(0);
        assertThat(tiaEssay.path("modelGrade").path("criteria").get(0).path("quote").asText())
                .isEqualTo("It is a gas that traps he");
        assertThat(http.get("/api/attempts/" + samAttempt + "/results", "sam").status()).isEqualTo(404);

        // 4. the lecturer overrides one grade and releases
        ok(http.put("/api/attempts/" + tiaAttempt + "/grades/" + essayId, Map.of("points", 1, "comment",
                "Heat trapping is half the story."), "lena"));
        ok(http.post("/api/exams/" + examId + "/release", null, "lena"));
        JsonNode results = ok(http.get("/api/attempts/" + tiaAttempt + "/results", "tia"));
        assertThat(results.path("total").asDouble()).isEqualTo(1.0);
        assertThat(results.path("maxPoints").asDouble()).isEqualTo(7.0);

        // 5. the CSV, item analysis and agreement
        HttpJson.Reply csv = http.get("/api/exams/" + examId + "/results.csv", "lena");
        assertThat(csv.header("content-type")).startsWith("text/csv");
        String[] lines = csv.raw().body().split("\r\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).isEqualTo("student_id,attempt_id,submitted_at,status,Q1 (4.0),Q2 (1.0),Q3 (1.0),"
                + "Q4 (1.0),total,max_points");
        assertThat(lines[1]).startsWith(principals.get("sam").userId() + "," + samAttempt + ",")
                .endsWith(",released,4,1,1,1,7,7");
        assertThat(lines[2]).startsWith(principals.get("tia").userId() + "," + tiaAttempt + ",")
                .endsWith(",released,1,0,0,0,1,7");
        JsonNode items = ok(http.get("/api/exams/" + examId + "/item-analysis", "lena")).path("items");
        assertThat(items).hasSize(4);
        assertThat(items.get(0).path("difficulty").asDouble()).isEqualTo(0.625);
        for (int i = 1; i < 4; i++) {
            assertThat(items.get(i).path("difficulty").asDouble()).isEqualTo(0.5);
            assertThat(items.get(i).path("discrimination").asDouble()).isEqualTo(1.0);
        }
        JsonNode agreement = ok(http.get("/api/exams/" + examId + "/agreement", "lena"));
        assertThat(agreement.path("n").asInt()).isEqualTo(2);
        assertThat(agreement.path("exactMatch").asDouble()).isEqualTo(0.5);
        assertThat(agreement.path("overridden").asInt()).isEqualTo(1);

        // 6. the exports
        HttpResponse<byte[]> pdf = bytes("/api/exams/" + examId + "/export/answer-key.pdf", "lena");
        assertThat(pdf.headers().firstValue("content-type")).hasValue("application/pdf");
        try (PDDocument doc = Loader.loadPDF(pdf.body())) {
            assertThat(new PDFTextStripper().getText(doc)).contains("Answer key",
                    "Explain how carbon dioxide warms the lower atmosphere.", "✓ A) Carbon dioxide");
        }
        assertThat(new String(bytes("/api/exams/" + examId + "/export/gift", "lena").body()))
                .contains("::Q2::Which gas do plants take up during photosynthesis?{");
        assertThat(bytes("/api/exams/" + examId + "/export/qti.zip", "lena").body()).startsWith(0x50, 0x4b);
        assertThat(bytes("/api/exams/" + examId + "/export/gift", "sam").statusCode()).isEqualTo(404);
    }

    /** A student's attempt: every objective answer right or wrong, the essay text, autosaved then submitted. */
    private String take(String student, String examId, Map<String, String> keys, String essayId, boolean right,
                        String essay) throws Exception {
        JsonNode attempt = ok(http.post("/api/exams/" + examId + "/attempts", null, student));
        String attemptId = attempt.path("attemptId").asText();
        for (JsonNode shown : attempt.path("questions")) {
            String qid = shown.path("questionId").asText();
            assertThat(shown.has("correct")).isFalse();
            Object response;
            if (qid.equals(essayId)) {
                response = Map.of("text", essay);
            } else {
                String pick = right ? keys.get(qid) : null;
                if (pick == null) {
                    for (JsonNode o : shown.path("options")) {
                        if (!o.path("id").asText().equals(keys.get(qid))) {
                            pick = o.path("id").asText();
                        }
                    }
                }
                response = Map.of("selected", List.of(pick));
            }
            ok(http.put("/api/attempts/" + attemptId + "/answers/" + qid, Map.of("response", response), student));
        }
        upstream.enqueue(grader(upstream)).enqueue(grader(upstream));
        ok(http.post("/api/attempts/" + attemptId + "/submit", null, student));
        assertThat(http.post("/api/attempts/" + attemptId + "/submit", null, student).status()).isEqualTo(409);
        return attemptId;
    }

    private JsonNode awaitGraded(String examId, String student) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (JsonNode a : http.get("/api/exams/" + examId + "/grades", "lena").body().path("attempts")) {
                if (a.path("studentId").asText().equals(principals.get(student).userId())
                        && !a.toString().contains("\"pending\"")) {
                    found[0] = a;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private JsonNode awaitJob(String id, String token) {
        JsonNode[] seen = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            seen[0] = http.get("/api/jobs/" + id, token).body();
            String s = seen[0].path("status").asText();
            return s.equals("SUCCESS") || s.equals("FAILURE");
        });
        return seen[0];
    }

    private HttpResponse<byte[]> bytes(String path, String token) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.httpPort() + path)).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }
}

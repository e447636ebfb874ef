package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTranscriptionServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.console.BrowserScript;
import dev.lectern.core.json.Json;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's Courses tab in a real headless Chromium (tests/js/e2e/courses.mjs, playwright-core) against the
 * production wiring, with a fake OpenAI-compatible model and a fake transcription server on real sockets: a lecturer
 * creates a course, enrols a student, adds a lecture, uploads a material and a recording (espeak-ng + ffmpeg) that the
 * job transcribes, sees the transcript beside the player, clicks a segment (the player seeks there) and corrects one;
 * the student sees their courses and exams, asks the course (the answer streams in, its lecture citation seeks the
 * lecture's player), gets the "no relevant passage" answer for a question the course does not cover, and starts an exam
 * from "My exams". Screenshots go to {@code server/target/screenshots}.
 */
class CoursesConsoleE2eTest {
    private static final String PASSWORD = "Correct-horse-42";
    private static final String NOTES = "SUMMARY:\nLight and plants.\nKEY POINTS:\n- chlorophyll";

    @TempDir
    Path dir;
    private FakeModelServer model;
    private FakeTranscriptionServer whisper;
    private LecternServer server;
    private HttpJson http;

    @BeforeEach
    void start() throws Exception {
        BrowserScript.assumeBrowser(
                new NodeTools.Needed(Path.of("/usr/bin/espeak-ng"), "bin/test-deps installs espeak-ng"),
                new NodeTools.Needed(Path.of("/usr/bin/ffmpeg"), "bin/test-deps installs ffmpeg"));
        model = new FakeModelServer();
        whisper = new FakeTranscriptionServer();
        ServerConfig config = TestConfigs.defaults(Map.of("LECTERN_ACCOUNTS__BCRYPT_COST", "4",
                "LECTERN_JOBS__HEARTBEAT_MILLIS", "200", "LECTERN_JOBS__LEASE_MILLIS", "5000",
                "LECTERN_STORAGE__DATA_DIR", dir.resolve("data").toString(),
                "LECTERN_COURSES__SEGMENT_SECONDS", "10", "LECTERN_COURSES__SEGMENT_RETRY_MILLIS", "10"));
        AiConfig ai = TestAi.withTranscription(TestAi.config(model.baseUrl()),
                new AiConfig.Transcription(whisper.baseUrl(), "whisper-1", "", 30_000));
        server = LecternServer.start(config.withAi(ai), Map.of("FAKE_API_KEY", "sk-test"));
        http = new HttpJson(server.httpPort(), Duration.ofSeconds(60));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
        if (whisper != null) {
            whisper.close();
        }
    }

    private String login(String email) throws Exception {
        return http.post("/api/login", Map.of("email", email, "password", PASSWORD), null).text("token");
    }

    @Test
    void lecturerTranscribesALectureStudentAsksTheCourseAndSeesTheirExams() throws Exception {
        BrowserScript.account(http, server, "lena@example.com", PASSWORD, "tutor");
        String sam = BrowserScript.account(http, server, "sam@example.com", PASSWORD, "student");
        String lena = login("lena@example.com");
        // another course of lena's with a published exam for "My exams"
        ExamsIntegrationTest.Course chemistry = ExamsIntegrationTest.course(http, lena, List.of(sam));
        String examId = publishedExam(lena, chemistry, "Gas quiz");

        whisper.answers("Welcome to the lecture.", "Chlorophyll absorbs red and blue light in the chloroplasts.",
                "See you next week.");
        // the notes job (after the transcript) and the student's question, told apart by their prompts; the answer
        // comes in two pieces with a pause between them, so the page shows it growing
        for (int i = 0; i < 2; i++) {
            model.enqueue(ex -> {
                String prompt = model.requests().get(model.requests().size() - 1).path("messages").toString();
                if (prompt.contains("You write lecture notes")) {
                    FakeModelServer.answer(NOTES).run(ex);
                } else {
                    ex.raw("data: " + FakeModelServer.chunk("Chlorophyll ", null) + "\n\n");
                    ex.pause(700);
                    ex.text("absorbs it [1].").finish("stop").usage(12, 2).done();
                }
            });
        }
        Path recording = Files.write(dir.resolve("recording.mp3"),
                CoursesIntegrationTest.recording(dir, "Plants turn light into sugar.", 25));
        Path material = dir.resolve("roots.md");
        Files.writeString(material, "Roots absorb water and minerals through root hairs.");

        JsonNode result = BrowserScript.run("courses.mjs", Map.of(
                "LECTERN_URL", "http://127.0.0.1:" + server.httpPort(),
                "E2E_SHOTS", TestConfigs.home().resolve("server/target/screenshots").toString(),
                "E2E_PASSWORD", PASSWORD,
                "E2E_LECTURER", "lena@example.com",
                "E2E_STUDENT", "sam@example.com",
                "E2E_STUDENT_ID", sam,
                "E2E_RECORDING", recording.toString(),
                "E2E_MATERIAL", material.toString(),
                "E2E_EXAM_TITLE", "Gas quiz"));
        System.out.println("courses console e2e: " + result);

        // the lecturer's course, as the server has it
        JsonNode courses = http.get("/api/courses", lena).body().path("courses");
        JsonNode botany = null;
        for (JsonNode c : courses) {
            if (c.path("title").asText().equals("Botany")) {
                botany = c;
            }
        }
        assertThat(botany).isNotNull();
        assertThat(botany.path("code").asText()).isEqualTo("BIO101");
        assertThat(botany.path("term").asText()).isEqualTo("2026-autumn");
        assertThat(Json.MAPPER.convertValue(result.path("courseList"), List.class))
                .containsExactlyInAnyOrder("BIO101 · Botany 2026-autumn", "CHEM101 · Chemistry");
        assertThat(result.path("access").asText()).contains("your access: lecturer");
        assertThat(result.path("members").asText()).isEqualTo("1 lecturer · 0 groups · 1 student enrolled explicitly");
        assertThat(result.path("materialStatus").asText()).isEqualTo("roots.md: indexed, 1 passage.");
        assertThat(result.path("materials").get(0).asText()).startsWith("roots.md").contains("indexed", "Photosynthesis");

        // the recording, transcribed in three 10 s pieces, shown with its timestamps beside an audio player
        assertThat(result.path("transcriptState").asText()).startsWith("Transcribed");
        assertThat(Json.MAPPER.convertValue(result.path("segments"), List.class)).containsExactly(
                "Welcome to the lecture.", "Chlorophyll absorbs red and blue light in the chloroplasts.",
                "See you next week.");
        assertThat(Json.MAPPER.convertValue(result.path("times"), List.class)).containsExactly("0:00", "0:10", "0:20");
        assertThat(result.path("playerTag").asText()).isEqualTo("audio");
        assertThat(result.path("firstSegment").asText()).isEqualTo("0:00Welcome to the lecture.Correct");
        long secondStart = result.path("secondStartMs").asLong();
        assertThat(secondStart).isBetween(9_500L, 10_500L);
        assertThat(result.path("positionBefore").asDouble()).isLessThan(1.0);
        assertThat(result.path("positionAfterClick").asDouble()).isGreaterThanOrEqualTo(secondStart / 1000.0 - 0.05)
                .isLessThan(25.0);

        // the correction reached the server
        String lectureId = http.get("/api/courses/" + botany.path("id").asText() + "/lectures", lena).body()
                .path("lectures").get(0).path("id").asText();
        JsonNode third = http.get("/api/lectures/" + lectureId + "/transcript", lena).body().path("segments").get(2);
        assertThat(third.path("text").asText()).isEqualTo("See you next week, with your questions.");
        assertThat(third.path("corrected").asBoolean()).isTrue();
        assertThat(result.path("corrected").asText())
                .isEqualTo("0:20See you next week, with your questions. (corrected)Correct");

        // the notes job's summary and key points, shown once written
        assertThat(result.path("summary").asText()).isEqualTo("Light and plants.");
        assertThat(Json.MAPPER.convertValue(result.path("keyPoints"), List.class)).containsExactly("chlorophyll");
        assertThat(Json.MAPPER.convertValue(result.path("studentKeyPoints"), List.class)).containsExactly("chlorophyll");

        // the student: their courses and exams, no authoring
        assertThat(Json.MAPPER.convertValue(result.path("studentCourses"), List.class)).hasSize(2);
        assertThat(result.path("myExamStatus").asText()).isEqualTo("not_started");
        assertThat(result.path("myExam").asText()).contains("Gas quiz", "Chemistry", "not started");
        assertThat(result.path("newCourseHidden").asBoolean()).isTrue();
        assertThat(result.path("studentAccess").asText()).contains("your access: student");
        assertThat(result.path("studentSeesTeachForms").asBoolean()).isFalse();
        assertThat(result.path("studentMayCorrect").asInt()).isZero();
        assertThat(result.path("studentSegments").get(2).asText()).isEqualTo("See you next week, with your questions.");

        // the streamed answer, its lecture citation seeking the player to the cited moment
        assertThat(result.path("answer").asText()).isEqualTo("Chlorophyll absorbs it [1].");
        assertThat(Json.MAPPER.convertValue(result.path("answerStates"), List.class))
                .as("the answer shown as it streams").contains("Chlorophyll ", "Chlorophyll absorbs it [1].");
        assertThat(result.path("citation").asText()).isEqualTo("Photosynthesis @ 0:10");
        assertThat(result.path("citationStartMs").asLong()).isEqualTo(secondStart);
        assertThat(result.path("studentPosition").asDouble()).isGreaterThanOrEqualTo(secondStart / 1000.0 - 0.05)
                .isLessThan(25.0);
        String prompt = model.requests().get(model.requests().size() - 1).path("messages").toString();
        assertThat(prompt).contains("Chlorophyll absorbs red and blue light");

        assertThat(result.path("deepLink").asText()).isEqualTo("#course=" + botany.path("id").asText() + "&lecture="
                + lectureId);
        assertThat(result.path("deepLinkSegments").asInt()).isEqualTo(3);

        // nothing relevant: said so, without sources and without asking the model
        assertThat(result.path("noPassage").asText()).isNotBlank();
        assertThat(result.path("noPassageSources").asInt()).isZero();
        assertThat(model.requests()).hasSize(2);

        // the exam started from "My exams" is the student's attempt on the server
        assertThat(result.path("coursesHiddenInExams").asBoolean()).isTrue();
        assertThat(result.path("myExamAfterStart").asText()).contains("in progress");
        JsonNode mine = http.get("/api/courses/" + chemistry.id() + "/exams/mine", login("sam@example.com")).body();
        assertThat(mine.path("exams").get(0).path("examId").asText()).isEqualTo(examId);
        assertThat(mine.path("exams").get(0).path("status").asText()).isEqualTo("in_progress");

        assertThat(result.path("errors")).as("page errors").isEmpty();
        assertThat(result.path("failedResponses")).as("refused requests").isEmpty();
    }

    /** A published exam of one approved single-choice question, open for an hour. */
    private String publishedExam(String lena, ExamsIntegrationTest.Course course, String title) throws Exception {
        HttpJson.Reply q = http.post("/api/courses/" + course.id() + "/questions", Map.of("type", "single_choice",
                "stem", "Which gas do plants take up?", "points", 1, "options", List.of(
                        ExamsIntegrationTest.opt("a", "Carbon dioxide", true),
                        ExamsIntegrationTest.opt("b", "Helium", false)),
                "citation", Map.of("passageId", course.p1(), "quote", "Plants take up carbon dioxide")), lena);
        assertThat(q.status()).as(q.raw().body()).isEqualTo(201);
        String qid = q.text("id");
        assertThat(http.post("/api/questions/" + qid + "/approve", Map.of("version", 1), lena).status()).isEqualTo(200);
        String exam = http.post("/api/courses/" + course.id() + "/exams", Map.of("title", title, "questionIds",
                List.of(qid)), lena).text("id");
        long now = System.currentTimeMillis();
        HttpJson.Reply published = http.post("/api/exams/" + exam + "/publish", Map.of("version", 1, "opensAt",
                now - 1000, "closesAt", now + 3_600_000, "timeLimitMillis", 1_800_000), lena);
        assertThat(published.status()).as(published.raw().body()).isEqualTo(200);
        return exam;
    }
}

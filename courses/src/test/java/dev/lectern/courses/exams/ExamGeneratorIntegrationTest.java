package dev.lectern.courses.exams;

import static dev.lectern.courses.exams.ExamsFixture.json;
import static dev.lectern.courses.exams.ExamsFixture.streamed;
import static dev.lectern.courses.exams.ExamsFixture.tree;
import static dev.lectern.courses.exams.GeneratedQuestions.answer;
import static dev.lectern.courses.exams.GeneratedQuestions.greenhouse;
import static dev.lectern.courses.exams.GeneratedQuestions.integral;
import static dev.lectern.courses.exams.GeneratedQuestions.options;
import static dev.lectern.courses.exams.GeneratedQuestions.photosynthesis;
import static dev.lectern.courses.exams.GeneratedQuestions.question;
import static dev.lectern.courses.exams.GeneratedQuestions.trueFalse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobState;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation against a fake model that answers well, malformed, ungrounded and against the checks. */
class ExamGeneratorIntegrationTest {
    @TempDir
    Path data;
    ExamsFixture f;

    @BeforeEach
    void open() throws Exception {
        f = new ExamsFixture(new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR",
                data.toString())).storage(), null), data);
    }

    @AfterEach
    void close() {
        f.close();
        f.db.close();
    }

    private Job generate(Map<QuestionType, Integer> counts, String examTitle) {
        return f.awaitFinal(f.exams.generator().generate(f.lena, new GenerateRequest(f.course, counts, List.of(), null,
                null, "en", "", examTitle)).id());
    }

    @Test
    void groundedQuestionsLandInTheBankAsDraftsAndInADraftExam() throws Exception {
        f.upstream.enqueue(json(answer(photosynthesis(f.p1), integral(f.p3), greenhouse(f.p2))));
        Job job = generate(Map.of(QuestionType.SINGLE_CHOICE, 1, QuestionType.NUMERIC, 1, QuestionType.ESSAY, 1),
                "Midterm");
        assertThat(job.state()).as(job.error()).isEqualTo(JobState.SUCCESS);
        JsonNode result = tree(job.result());
        assertThat(result.path("kept").asInt()).isEqualTo(3);
        assertThat(result.path("rounds").asInt()).isEqualTo(1);
        List<Question> bank = f.exams.bank().list(f.lena, f.course);
        assertThat(bank).hasSize(3).allSatisfy(q -> {
            assertThat(q.status()).isEqualTo(Question.DRAFT);
            assertThat(q.content().citation().passageId()).isIn(f.p1, f.p2, f.p3);
        });
        Exam exam = f.exams.exams().get(f.lena, result.path("examId").asText());
        assertThat(exam.status()).isEqualTo(Exam.DRAFT);
        assertThat(exam.questionIds()).hasSize(3);
        // the prompt carried the course's passages with their ids, and the schema
        String prompt = f.upstream.requests().get(0).path("messages").toString();
        assertThat(prompt).contains("[" + f.p1 + "] (photosynthesis.md)", "[" + f.p2 + "]", "[" + f.p3 + "]",
                "additionalProperties", "1 single_choice");
    }

    @Test
    void passagesAreReadAsExtractedAtUploadNotFetchedAndExtractedAgain() throws Exception {
        ExamCourses.Passage before = f.courses.passage(f.course, f.p1).orElseThrow();
        try (var objects = java.nio.file.Files.walk(data.resolve("objects"))) {
            for (Path p : objects.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p); // the uploaded documents are gone from the object store
            }
        }
        assertThat(f.courses.passage(f.course, f.p1)).contains(before);
        assertThat(f.courses.passages(f.course, List.of(), 100)).extracting(ExamCourses.Passage::id)
                .contains(f.p1, f.p2, f.p3);
    }

    @Test
    void malformedOutputIsRetriedWithTheErrors() throws Exception {
        f.upstream.enqueue(streamed("Sure! Here are your questions: questions = [ ... ]"));
        f.upstream.enqueue(json(Map.of("questions", List.of(Map.of("type", "single_choice", "stem", 42)))));
        f.upstream.enqueue(json(answer(trueFalse(f.p1))));
        Job job = generate(Map.of(QuestionType.TRUE_FALSE, 1), null);
        assertThat(job.state()).as(job.error()).isEqualTo(JobState.SUCCESS);
        assertThat(f.upstream.requests()).hasSize(3);
        String second = f.upstream.requests().get(1).path("messages").toString();
        assertThat(second).contains("holds no JSON object");
        String third = f.upstream.requests().get(2).path("messages").toString();
        assertThat(third).contains("$.questions[0].stem: a string", "$.questions[0].options: required");
    }

    @Test
    void outputInvalidEveryTimeFailsTheJobClearly() {
        for (int i = 0; i < Exams.MODEL_ATTEMPTS; i++) {
            f.upstream.enqueue(json(Map.of("questions", "none", "extra", true)));
        }
        Job job = generate(Map.of(QuestionType.ESSAY, 1), null);
        assertThat(job.state()).isEqualTo(JobState.FAILURE);
        assertThat(job.error()).contains("model_output_invalid", "invalid 3 times", "$.questions: an array");
        assertThat(f.exams.bank().list(f.lena, f.course)).isEmpty();
    }

    @Test
    void ungroundedAndUncheckedQuestionsAreDroppedAndAskedForAgain() throws Exception {
        Map<String, Object> madeUp = question("single_choice", "Which planet is largest?",
                options("Jupiter", "Mars", "Venus"), null, null, "", f.p1, "Jupiter is the largest planet");
        Map<String, Object> allOfTheAbove = question("single_choice", "What do plants release in photosynthesis?",
                options("All of the above", "Oxygen", "Water"), null, null, "", f.p1,
                "release oxygen during photosynthesis");
        Map<String, Object> twoKeys = question("single_choice", "Which gases does the course mention for plants?",
                List.of(Map.of("id", "a", "text", "Oxygen", "correct", true, "feedback", ""),
                        Map.of("id", "b", "text", "Carbon dioxide", "correct", true, "feedback", "")), null, null, "",
                f.p1, "release oxygen during photosynthesis");
        Map<String, Object> sameOptions = question("multiple_select", "Which does carbon dioxide do to infrared?",
                options("Absorbs it", "absorbs  it", "Ignores it"), null, null, "", f.p2,
                "Carbon dioxide absorbs infrared radiation");
        Map<String, Object> wideTolerance = question("numeric", "Roughly what is ∫₀¹ 2x dx?", List.of(), 1.0, 5.0, "",
                f.p3, "The integral ∫₀¹ 2x dx equals 1");
        f.upstream.enqueue(json(answer(madeUp, allOfTheAbove, twoKeys, sameOptions, wideTolerance,
                photosynthesis(f.p1))));
        f.upstream.enqueue(json(answer(integral(f.p3), trueFalse(f.p1),
                question("multiple_select", "Which effects of carbon dioxide does the lecture name?",
                        options("It absorbs infrared radiation", "It is a noble gas", "It is green"), null, null, "",
                        "p9", "absorbs infrared radiation and re-emits it"))));
        Job job = generate(Map.of(QuestionType.SINGLE_CHOICE, 1, QuestionType.NUMERIC, 1,
                QuestionType.MULTIPLE_SELECT, 1), null);
        assertThat(job.state()).as(job.error()).isEqualTo(JobState.SUCCESS);
        JsonNode result = tree(job.result());
        assertThat(result.path("kept").asInt()).isEqualTo(3);
        assertThat(result.path("rounds").asInt()).isEqualTo(2);
        String dropped = result.path("dropped").toString();
        assertThat(dropped).contains("the quote is not found in the course's passages",
                "all/none-of-the-above", "exactly one option must be correct (found 2)", "appears twice",
                "too wide for the answer", "no more true_false questions were asked for");
        // the wrong passage id was corrected to where the quote really is
        Question ms = f.exams.bank().list(f.lena, f.course).stream()
                .filter(q -> q.content().type() == QuestionType.MULTIPLE_SELECT).findFirst().orElseThrow();
        assertThat(ms.content().citation().passageId()).isEqualTo(f.p2);
        String second = f.upstream.requests().get(1).path("messages").toString();
        assertThat(second).contains("1 numeric", "1 multiple_select", "Rejected earlier", "Already written");
    }

    @Test
    void aNearDuplicateOfTheBankIsDroppedAndNothingKeptFails() throws Exception {
        f.exams.bank().create(f.lena, f.course, new QuestionContent(QuestionType.SINGLE_CHOICE, "",
                "Which gas do plants take up during photosynthesis?", List.of(
                new QuestionContent.Option("a", "CO₂", true, ""), new QuestionContent.Option("b", "O₂", false, "")),
                null, null, "", "", 1, null, null, "en", null, null));
        for (int i = 0; i < ExamGenerator.ROUNDS; i++) {
            f.upstream.enqueue(json(answer(photosynthesis(f.p1))));
        }
        Job job = generate(Map.of(QuestionType.SINGLE_CHOICE, 1), null);
        assertThat(job.state()).isEqualTo(JobState.FAILURE);
        assertThat(job.error()).contains("no generated question passed the checks after 3 rounds",
                "near-duplicate of a question already in the course's bank");
    }

    @Test
    void aRubricIsDraftedFromAnEssayAndItsPassageThenEditable() throws Exception {
        Question essay = f.exams.bank().create(f.lena, f.course, new QuestionContent(QuestionType.ESSAY, "",
                "Explain how carbon dioxide warms the lower atmosphere.", List.of(), null, null,
                "It absorbs infrared radiation.", "", 4, null, null, "en",
                new QuestionContent.Citation(f.p2, "absorbs infrared radiation and re-emits it"), null));
        f.upstream.enqueue(json(Map.of("title", "Greenhouse", "criteria", List.of(Map.of("description", "Mechanism",
                "ratings", List.of(Map.of("description", "Named", "points", 3)))))));
        f.upstream.enqueue(json(Map.of("title", "Greenhouse essay", "criteria", List.of(
                Map.of("description", "Mechanism", "longDescription", "Infrared absorption and re-emission",
                        "ratings", List.of(Map.of("description", "Missing", "longDescription", "", "points", 0),
                                Map.of("description", "Named", "longDescription", "", "points", 3))),
                Map.of("description", "Clarity", "longDescription", "", "ratings", List.of(
                        Map.of("description", "Clear", "longDescription", "", "points", 1),
                        Map.of("description", "Unclear", "longDescription", "", "points", 0)))))));
        Job job = f.awaitFinal(f.exams.rubrics().draft(f.lena, essay.id(), "").id());
        assertThat(job.state()).as(job.error()).isEqualTo(JobState.SUCCESS);
        assertThat(f.upstream.requests().get(0).path("messages").toString())
                .contains("Carbon dioxide absorbs infrared radiation and re-emits it");
        assertThat(f.upstream.requests().get(1).path("messages").toString())
                .contains("$.criteria[0].ratings: an array of 2-10 ratings");
        Rubric drafted = f.exams.rubrics().get(f.lena, tree(job.result()).path("rubricId").asText());
        assertThat(drafted.pointsPossible()).isEqualTo(4);
        assertThat(drafted.criteria().get(0).ratings().get(0).description()).isEqualTo("Named");
        Rubric edited = f.exams.rubrics().edit(f.lena, drafted.id(), 1, "Greenhouse essay (edited)", null);
        assertThat(edited.version()).isEqualTo(2);
        assertThatThrownBy(() -> f.exams.rubrics().draft(f.lena, f.exams.bank().create(f.lena, f.course,
                new QuestionContent(QuestionType.NUMERIC, "", "What is ∫₀¹ 2x dx?", List.of(), 1.0, 0.01, "", "", 1,
                        null, null, "en", null, null)).id(), ""))
                .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void onlyTheCoursesTeachersMayGenerate() {
        assertThatThrownBy(() -> f.exams.generator().generate(f.mallory, new GenerateRequest(f.course,
                Map.of(QuestionType.ESSAY, 1), List.of(), null, null, "en", "", null)))
                .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThatThrownBy(() -> f.exams.generator().generate(f.lena, new GenerateRequest(f.course,
                Map.of(QuestionType.ESSAY, 51), List.of(), null, null, "en", "", null)))
                .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> f.exams.generator().generate(f.lena, new GenerateRequest(f.course,
                Map.of(QuestionType.ESSAY, 1), List.of("lecture-99"), null, null, "en", "", null)))
                .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.getMessage()).contains("no text"));
    }
}

package dev.lectern.courses.exams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.courses.exams.QuestionContent.Option;
import dev.lectern.courses.exams.Rubric.Criterion;
import dev.lectern.courses.exams.Rubric.Rating;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobQuery;
import dev.lectern.jobs.JobState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/** Bank, rubrics, exams, attempts and grading against each SQL dialect, with a server clock the test moves. */
abstract class ExamLifecycleContract {
    protected abstract SqlDatabase newDatabase();

    protected void afterDatabase() {}

    @TempDir
    Path dir;
    ExamsFixture f;

    @BeforeEach
    void open() throws Exception {
        f = new ExamsFixture(newDatabase(), dir);
    }

    @AfterEach
    void close() {
        f.close();
        f.db.close();
        afterDatabase();
    }

    static QuestionContent single(String stem, String key, String... wrong) {
        List<Option> options = new java.util.ArrayList<>(List.of(new Option("k", key, true, "")));
        for (int i = 0; i < wrong.length; i++) {
            options.add(new Option("w" + i, wrong[i], false, ""));
        }
        return new QuestionContent(QuestionType.SINGLE_CHOICE, "", stem, options, null, null, "", "", 1, null, null,
                "en", null, null);
    }

    static QuestionContent numeric(String stem, double answer, double tolerance) {
        return new QuestionContent(QuestionType.NUMERIC, "", stem, List.of(), answer, tolerance, "", "", 1, null, null,
                "en", null, null);
    }

    static QuestionContent essay(String stem, String rubricId) {
        return new QuestionContent(QuestionType.ESSAY, "", stem, List.of(), null, null, "It absorbs infrared.", "", 4,
                Difficulty.HARD, Bloom.UNDERSTAND, "en", null, rubricId);
    }

    static List<Criterion> criteria() {
        return List.of(
                new Criterion(null, "Mechanism", "Names the physical mechanism", 0, List.of(
                        new Rating(null, "Missing", "", 0), new Rating(null, "Infrared absorption named", "", 2))),
                new Criterion(null, "Clarity", "", 0, List.of(new Rating(null, "Clear", "", 2),
                        new Rating(null, "Partly clear", "", 1), new Rating(null, "Unclear", "", 0))));
    }

    static void status(int expected, Executable call) {
        assertThatThrownBy(call::execute).isInstanceOfSatisfying(ServiceException.class,
                e -> assertThat(e.status()).as(e.getMessage()).isEqualTo(expected));
    }

    @Test
    void everyChangeToAQuestionIsAVersion() {
        Question q = f.exams.bank().create(f.lena, f.course, single("Which gas do plants take up?", "CO₂", "O₂", "N₂"));
        assertThat(q.version()).isEqualTo(1);
        Question approved = f.exams.bank().approve(f.lena, q.id(), 1);
        Question edited = f.exams.bank().edit(f.lena, q.id(), 2, single("Which gas do green plants take up?", "CO₂",
                "O₂", "Argon"));
        assertThat(edited.status()).isEqualTo(Question.DRAFT);
        assertThat(edited.version()).isEqualTo(3);
        status(409, () -> f.exams.bank().edit(f.lena, q.id(), 2, single("Stale edit of the question?", "a", "b")));
        assertThat(f.exams.bank().versions(f.lena, q.id())).extracting(ExamRepository.QuestionVersion::change)
                .containsExactly("created", "approved", "edited");
        assertThat(f.exams.bank().versions(f.lena, q.id()).get(1).status()).isEqualTo(approved.status());
        assertThat(f.exams.bank().versions(f.lena, q.id()).get(0).content().options().get(2).text()).isEqualTo("N₂");
        status(404, () -> f.exams.bank().get(f.mallory, q.id()));
        status(404, () -> f.exams.bank().list(f.sam, f.course));
        status(400, () -> f.exams.bank().create(f.lena, f.course, single("Two keys?", "a", "a")));
        status(409, () -> f.exams.bank().create(f.lena, f.course,
                single("Which gas do green plants take up?", "x", "y")));
    }

    @Test
    void rubricsAreCanvasShapedAndVersioned() {
        Rubric r = f.exams.rubrics().create(f.lena, f.course, "Essay rubric", criteria());
        assertThat(r.criteria()).extracting(Criterion::id).containsExactly("c1", "c2");
        assertThat(r.criteria().get(0).points()).isEqualTo(2);
        assertThat(r.criteria().get(0).ratings()).extracting(Rating::description)
                .containsExactly("Infrared absorption named", "Missing"); // best first, as Canvas orders them
        assertThat(r.pointsPossible()).isEqualTo(4);
        Rubric edited = f.exams.rubrics().edit(f.lena, r.id(), 1, "Essay rubric v2", null);
        assertThat(edited.version()).isEqualTo(2);
        status(400, () -> f.exams.rubrics().create(f.lena, f.course, "Bad", List.of(new Criterion(null, "", "", 0,
                List.of(new Rating(null, "only one", "", 1))))));
        status(404, () -> f.exams.rubrics().get(f.mallory, r.id()));
    }

    record Setup(Exam exam, Question single, Question numeric, Question essay, Rubric rubric) {}

    /** Three approved questions (single choice, numeric, essay with rubric) in a published exam. */
    Setup published(long opensInMillis, long windowMillis, long limitMillis) {
        Rubric rubric = f.exams.rubrics().create(f.lena, f.course, "Essay rubric", criteria());
        Question s = f.exams.bank().create(f.lena, f.course, single("Which gas do plants take up?", "CO₂", "O₂", "N₂"));
        Question n = f.exams.bank().create(f.lena, f.course, numeric("What is ∫₀¹ 2x dx?", 1, 0.01));
        Question e = f.exams.bank().create(f.lena, f.course,
                essay("Explain the greenhouse effect of CO₂.", rubric.id()));
        Exam exam = f.exams.exams().create(f.lena, f.course, "Midterm", List.of(s.id(), n.id(), e.id()));
        status(400, () -> f.exams.exams().publish(f.lena, exam.id(), 1, f.clock.millis(), f.clock.millis() + 1000,
                60_000)); // nothing approved yet
        s = f.exams.bank().approve(f.lena, s.id(), 1);
        n = f.exams.bank().approve(f.lena, n.id(), 1);
        e = f.exams.bank().approve(f.lena, e.id(), 1);
        Exam reordered = f.exams.exams().edit(f.lena, exam.id(), 1, null, List.of(e.id(), s.id(), n.id()));
        assertThat(reordered.questionIds()).containsExactly(e.id(), s.id(), n.id());
        long opens = f.clock.millis() + opensInMillis;
        Exam pub = f.exams.exams().publish(f.lena, exam.id(), 2, opens, opens + windowMillis, limitMillis);
        assertThat(pub.items()).allSatisfy(i -> assertThat(i.questionVersion()).isEqualTo(2));
        assertThat(f.exams.exams().versions(f.lena, exam.id())).extracting(ExamRepository.ExamVersion::change)
                .containsExactly("created", "reordered", "published");
        status(409, () -> f.exams.exams().edit(f.lena, exam.id(), 3, "Renamed", null));
        return new Setup(pub, s, n, e, rubric);
    }

    private Job awaitGrading(String studentId) {
        var page = f.engine.list(new JobQuery(studentId, null, GradingService.KIND, 10, 0));
        assertThat(page.jobs()).hasSize(1);
        return f.awaitFinal(page.jobs().get(0).id());
    }

    @Test
    void takingGradingOverridingAndReleasing() throws Exception {
        Setup s = published(60_000, 3_600_000, 1_800_000);
        status(409, () -> f.exams.attempts().start(f.sam, s.exam().id())); // not open yet
        status(404, () -> f.exams.attempts().start(f.mallory, s.exam().id()));
        f.clock.advance(Duration.ofMinutes(2));
        AttemptService.AttemptView sam = f.exams.attempts().start(f.sam, s.exam().id());
        assertThat(sam.deadlineAt()).isEqualTo(f.clock.millis() + 1_800_000);
        assertThat(Json.write(sam)).doesNotContain("\"correct\"", "numericAnswer", "It absorbs infrared.");
        assertThat(f.exams.attempts().view(f.sam, sam.attemptId())).isEqualTo(
                f.exams.attempts().start(f.sam, s.exam().id())); // same seed: same order, same options; idempotent
        assertThat(sam.questions()).extracting(AttemptService.ShownQuestion::questionId)
                .containsExactlyInAnyOrder(s.single().id(), s.numeric().id(), s.essay().id());
        status(404, () -> f.exams.attempts().view(f.tia, sam.attemptId()));

        // the bank moves on; the published exam keeps the version it pinned
        f.exams.bank().edit(f.lena, s.single().id(), 2, single("Which gas do plants take up, really?", "CO₂", "O₂"));
        assertThat(f.exams.attempts().view(f.sam, sam.attemptId()).questions()).extracting(
                AttemptService.ShownQuestion::stem).contains("Which gas do plants take up?");

        f.exams.attempts().save(f.sam, sam.attemptId(), s.single().id(), tree("{\"selected\":[\"w0\"]}"));
        f.exams.attempts().save(f.sam, sam.attemptId(), s.single().id(), tree("{\"selected\":[\"k\"]}")); // autosave
        f.exams.attempts().save(f.sam, sam.attemptId(), s.numeric().id(), tree("{\"value\":1.005}"));
        f.exams.attempts().save(f.sam, sam.attemptId(), s.essay().id(),
                tree("{\"text\":\"CO₂ absorbs infrared radiation and re-emits it downwards.\"}"));
        status(400, () -> f.exams.attempts().save(f.sam, sam.attemptId(), s.single().id(),
                tree("{\"selected\":[\"k\",\"w0\"]}")));
        f.upstream.enqueue(f.grader("infrared", true)).enqueue(f.grader("infrared", false))
                .enqueue(f.grader("infrared", false));
        Attempt samDone = f.exams.attempts().submit(f.sam, sam.attemptId());
        assertThat(samDone.submitted()).isTrue();
        status(409, () -> f.exams.attempts().submit(f.sam, sam.attemptId()));
        status(409, () -> f.exams.attempts().save(f.sam, sam.attemptId(), s.numeric().id(), tree("{\"value\":2}")));
        assertThat(awaitGrading(f.sam.userId()).state()).isEqualTo(JobState.SUCCESS);

        AttemptService.AttemptView tia = f.exams.attempts().start(f.tia, s.exam().id());
        f.exams.attempts().save(f.tia, tia.attemptId(), s.single().id(), tree("{\"selected\":[\"w1\"]}"));
        f.exams.attempts().save(f.tia, tia.attemptId(), s.essay().id(), tree("{\"text\":\"Because it is a gas that "
                + "traps heat somehow.\"}"));
        f.clock.advance(Duration.ofMinutes(31)); // past her time limit
        status(409, () -> f.exams.attempts().save(f.tia, tia.attemptId(), s.numeric().id(), tree("{\"value\":1}")));
        f.upstream.enqueue(f.grader("infrared", false)).enqueue(f.grader("infrared", false));
        status(404, () -> f.exams.grading().results(f.sam, sam.attemptId())); // not released
        List<GradingService.AttemptReview> reviews = f.exams.grading().review(f.lena, s.exam().id()); // closes Tia's
        assertThat(reviews).hasSize(2);
        assertThat(awaitGrading(f.tia.userId()).state()).isEqualTo(JobState.SUCCESS);

        reviews = f.exams.grading().review(f.lena, s.exam().id());
        GradingService.AttemptReview samReview = reviews.get(0);
        GradingService.AnswerReview samEssay = samReview.answers().get(0);
        assertThat(samEssay.gradeStatus()).isEqualTo(Answer.MODEL);
        assertThat(samEssay.modelPoints()).isEqualTo(4.0);
        JsonNode criteria = samEssay.modelGrade().path("criteria");
        assertThat(criteria).hasSize(2);
        assertThat(criteria.get(0).path("quote").asText()).isEqualTo("CO₂ absorbs infrared radiation");
        assertThat(samReview.total()).isEqualTo(6.0);
        GradingService.AttemptReview tiaReview = reviews.get(1);
        assertThat(tiaReview.submittedAt()).isEqualTo(tia.deadlineAt());
        assertThat(tiaReview.answers()).extracting(GradingService.AnswerReview::points)
                .containsExactly(0.0, 0.0, 0.0);
        // the misquote was sent back to the model with the error
        assertThat(f.upstream.requests().get(1).path("messages").toString()).contains("verbatim");

        GradingService.AnswerReview overridden = f.exams.grading().override(f.lena, tia.attemptId(), s.essay().id(), 1,
                null, "Mentions trapping heat: partly right.");
        assertThat(overridden.points()).isEqualTo(1.0);
        assertThat(overridden.modelPoints()).isEqualTo(0.0);
        status(400, () -> f.exams.grading().override(f.lena, tia.attemptId(), s.essay().id(), 5, null, null));
        status(400, () -> f.exams.grading().override(f.lena, tia.attemptId(), s.essay().id(), 1,
                tree("[{\"criterionId\":\"c1\",\"ratingId\":\"nope\"}]"), null));
        f.exams.grading().override(f.lena, tia.attemptId(), s.essay().id(), 1,
                tree("[{\"criterionId\":\"c1\",\"ratingId\":\"c1r1\",\"comment\":\"half\"}]"), null);
        Exam released = f.exams.grading().release(f.lena, s.exam().id());
        assertThat(released.releasedAt()).isNotNull();
        status(409, () -> f.exams.grading().override(f.lena, tia.attemptId(), s.essay().id(), 2, null, null));

        Map<String, Object> results = f.exams.grading().results(f.tia, tia.attemptId());
        assertThat(results.get("total")).isEqualTo(1.0);

        Agreement agreement = f.exams.grading().agreement(f.lena, s.exam().id());
        assertThat(agreement.n()).isEqualTo(2);
        assertThat(agreement.overridden()).isEqualTo(1);
        assertThat(agreement.exactMatch()).isEqualTo(0.5);

        List<ItemAnalysis> items = f.exams.grading().itemAnalysis(f.lena, s.exam().id());
        assertThat(items).extracting(ItemAnalysis::difficulty).containsExactly(0.625, 0.5, 0.5);
        assertThat(items.get(1).discrimination()).isEqualTo(1.0);

        String csv = f.exams.grading().csv(f.lena, s.exam().id());
        assertThat(csv.split("\r\n")).containsExactly(
                "student_id,attempt_id,submitted_at,status,Q1 (4.0),Q2 (1.0),Q3 (1.0),total,max_points",
                f.sam.userId() + "," + sam.attemptId() + "," + java.time.Instant.ofEpochMilli(samDone.submittedAt())
                        + ",released,4,1,1,6,6",
                f.tia.userId() + "," + tia.attemptId() + "," + java.time.Instant.ofEpochMilli(tia.deadlineAt())
                        + ",released,1,0,0,1,6");
    }

    static QuestionContent multi(String stem, Boolean partialCredit) {
        return new QuestionContent(QuestionType.MULTIPLE_SELECT, "", stem, List.of(new Option("a", "Neon", true, ""),
                new Option("b", "Argon", true, ""), new Option("c", "Xenon", true, ""),
                new Option("d", "Chlorine", false, "")), null, null, "", "", 3, null, null, "en", null, null,
                partialCredit);
    }

    @Test
    void multipleSelectPartialCreditReachesItemAnalysisAndCsv() throws Exception {
        Question partial = f.exams.bank().create(f.lena, f.course, multi("Which are noble gases?", null));
        Question strict = f.exams.bank().create(f.lena, f.course, multi("Which are noble gases, all of them?", false));
        partial = f.exams.bank().approve(f.lena, partial.id(), 1);
        strict = f.exams.bank().approve(f.lena, strict.id(), 1);
        Exam exam = f.exams.exams().create(f.lena, f.course, "Quiz", List.of(partial.id(), strict.id()));
        long opens = f.clock.millis();
        f.exams.exams().publish(f.lena, exam.id(), 1, opens, opens + 3_600_000, 1_800_000);

        AttemptService.AttemptView sam = f.exams.attempts().start(f.sam, exam.id());
        f.exams.attempts().save(f.sam, sam.attemptId(), partial.id(), tree("{\"selected\":[\"a\",\"b\"]}"));
        f.exams.attempts().save(f.sam, sam.attemptId(), strict.id(), tree("{\"selected\":[\"a\",\"b\",\"c\"]}"));
        f.exams.attempts().submit(f.sam, sam.attemptId());
        AttemptService.AttemptView tia = f.exams.attempts().start(f.tia, exam.id());
        f.exams.attempts().save(f.tia, tia.attemptId(), partial.id(), tree("{\"selected\":[\"a\",\"d\"]}"));
        f.exams.attempts().save(f.tia, tia.attemptId(), strict.id(), tree("{\"selected\":[\"a\",\"b\"]}"));
        f.exams.attempts().submit(f.tia, tia.attemptId());

        // partial: Sam 3 x 2/3 = 2, Tia 3 x (1 - 1)/3 = 0; all or nothing: Sam 3, Tia 0
        List<ItemAnalysis> items = f.exams.grading().itemAnalysis(f.lena, exam.id());
        assertThat(items).extracting(ItemAnalysis::meanPoints).containsExactly(1.0, 1.5);
        assertThat(items).extracting(ItemAnalysis::difficulty).containsExactly(0.3333, 0.5);
        String[] rows = f.exams.grading().csv(f.lena, exam.id()).split("\r\n");
        assertThat(rows[0]).endsWith(",Q1 (3.0),Q2 (3.0),total,max_points");
        assertThat(rows).anySatisfy(r -> assertThat(r).startsWith(f.sam.userId() + ",").endsWith(",submitted,2,3,5,6"));
        assertThat(rows).anySatisfy(r -> assertThat(r).startsWith(f.tia.userId() + ",").endsWith(",submitted,0,0,0,6"));
    }

    static JsonNode tree(String json) throws Exception {
        return Json.MAPPER.readTree(json);
    }
}

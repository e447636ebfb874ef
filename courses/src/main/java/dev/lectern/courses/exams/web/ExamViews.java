package dev.lectern.courses.exams.web;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.courses.exams.Exam;
import dev.lectern.courses.exams.GradingService;
import dev.lectern.courses.exams.ItemAnalysis;
import dev.lectern.courses.exams.Question;
import dev.lectern.courses.exams.QuestionContent;
import dev.lectern.courses.exams.Rubric;
import java.util.List;
import java.util.Map;

/**
 * The wire shapes of the exams routes that are not a service's record as it is: lists in their envelope, request
 * bodies, and the records that document the maps the services answer. The routes declare them, so /openapi.json says
 * exactly this (and the contract tests prove the maps match).
 */
public final class ExamViews {
    private ExamViews() {}

    public record Questions(List<Question> questions) {}

    /** One version of a question as the bank kept it. */
    public record QuestionVersion(int version, String status, String change, String changedBy, long changedAt,
                                  QuestionContent content) {}

    public record QuestionVersions(List<QuestionVersion> versions) {}

    public record Rubrics(List<Rubric> rubrics) {}

    public record Exams(List<Exam> exams) {}

    /** One version of an exam. */
    public record ExamVersion(int version, String change, String changedBy, long changedAt) {}

    public record ExamVersions(List<ExamVersion> versions) {}

    public record Grades(List<GradingService.AttemptReview> attempts) {}

    public record Items(List<ItemAnalysis> items) {}

    /** A queued job: follow it at {@code /api/jobs/{jobId}}. */
    public record JobAccepted(String jobId) {}

    /** When the answer was saved (epoch ms, server clock). */
    public record Saved(long savedAt) {}

    /** A question edited at {@code version}: the question's fields beside it. */
    public record QuestionEdit(int version, @JsonUnwrapped QuestionContent content) {}

    /** The version the caller acts on (approve, retire). */
    public record AtVersion(int version) {}

    /** Which questions to draft from which sources: {@code counts} by question type (single_choice, essay, …). */
    public record Generate(Map<String, Integer> counts, List<String> sourceIds, String difficulty, String bloom,
                           String language, String model, String examTitle) {}

    /** A rubric as Canvas writes it: ids are optional, a criterion's points come from its best rating. */
    public record RubricBody(String title, List<Criterion> criteria, Integer version) {
        public record Criterion(String id, String description, String longDescription, List<Rating> ratings) {}

        public record Rating(String id, String description, String longDescription, double points) {}
    }

    /** The model that drafts a rubric ("" for the default). */
    public record RubricDraft(String model) {}

    /** A draft exam's title and its questions in order; on an edit, the version edited. */
    public record ExamBody(String title, List<String> questionIds, Integer version) {}

    /** A publication: the window (epoch ms, server clock) and the time limit. */
    public record Publish(int version, long opensAt, long closesAt, long timeLimitMillis) {}

    /** An answer: {@code {selected:[ids]}}, {@code {value:n}} or {@code {text}} by question type. */
    public record AnswerBody(JsonNode response) {}

    /** A lecturer's grade: points, optionally per criterion and a comment. */
    public record GradeOverride(double points, JsonNode criteria, String comment) {}

    /** A student's released results. */
    public record Results(String attemptId, String examId, String title, double total, double maxPoints,
                          List<ResultItem> answers) {
        public record ResultItem(String questionId, int position, String stem, JsonNode response, Double points,
                                 double maxPoints, String explanation, JsonNode grade) {}
    }
}

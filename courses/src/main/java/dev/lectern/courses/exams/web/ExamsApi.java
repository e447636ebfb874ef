package dev.lectern.courses.exams.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.courses.exams.Agreement;
import dev.lectern.courses.exams.Attempt;
import dev.lectern.courses.exams.AttemptService;
import dev.lectern.courses.exams.Exam;
import dev.lectern.courses.exams.ExamService;
import dev.lectern.courses.exams.Exams;
import dev.lectern.courses.exams.GenerateRequest;
import dev.lectern.courses.exams.GradingService;
import dev.lectern.courses.exams.Question;
import dev.lectern.courses.exams.QuestionContent;
import dev.lectern.courses.exams.Rubric;
import dev.lectern.courses.exams.StudentExams;
import dev.lectern.courses.exams.export.ExamPdf;
import dev.lectern.courses.exams.export.GiftWriter;
import dev.lectern.courses.exams.export.MoodleXmlWriter;
import dev.lectern.courses.exams.export.QtiPackage;
import dev.lectern.http.Access;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import dev.lectern.http.Types;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The exams routes: a course's bank, rubrics and exams for its teachers (generation and rubric drafts answer a job id;
 * {@code /api/jobs/{id}} follows it), taking an exam for its students, grading review, release, statistics, CSV and the
 * exports. Every handler runs on the blocking executor; the services decide who may do what.
 */
public final class ExamsApi {
    private final Exams exams;
    private final ExamPdf pdf;

    public ExamsApi(Exams exams, ExamPdf pdf) {
        this.exams = exams;
        this.pdf = pdf;
    }

    public void register(Router.Builder routes) {
        bank(routes);
        rubrics(routes);
        examRoutes(routes);
        taking(routes);
        grading(routes);
        exports(routes);
    }

    private void bank(Router.Builder routes) {
        routes.post("/api/courses/{courseId}/questions").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404, 409).summary("Add a draft question to the course's bank")
                .request(QuestionContent.class).returns(201, Question.class)
                .handle(r -> created(exams.bank().create(r.requirePrincipal(), r.pathParam("courseId"),
                        content(r.jsonObject()))));
        routes.get("/api/courses/{courseId}/questions").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("The course's question bank").returns(200, ExamViews.Questions.class)
                .handle(r -> ok(new ExamViews.Questions(exams.bank().list(r.requirePrincipal(),
                        r.pathParam("courseId")))));
        routes.get("/api/questions/{id}").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("One question of a bank").returns(200, Question.class).handle(r -> ok(exams.bank().get(r.requirePrincipal(),
                        r.pathParam("id"))));
        routes.get("/api/questions/{id}/versions").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("Every version of a question, oldest first").returns(200, ExamViews.QuestionVersions.class)
                .handle(r -> ok(Map.of("versions",
                        exams.bank().versions(r.requirePrincipal(), r.pathParam("id")))));
        routes.put("/api/questions/{id}").access(Access.USER).blocking().json().tag("exams").errors(400, 404, 409)
                .summary("Edit a question (send the version you edited; it becomes a draft again)")
                .request(ExamViews.QuestionEdit.class).returns(200, Question.class)
                .handle(r -> {
                    ObjectNode b = (ObjectNode) r.jsonObject();
                    int version = version(b);
                    b.remove("version");
                    return ok(exams.bank().edit(r.requirePrincipal(), r.pathParam("id"), version, content(b)));
                });
        routes.post("/api/questions/{id}/approve").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404, 409).summary("Approve a question at a version")
                .request(ExamViews.AtVersion.class).returns(200, Question.class)
                .handle(r -> ok(exams.bank().approve(r.requirePrincipal(), r.pathParam("id"), version(r.jsonObject()))));
        routes.post("/api/questions/{id}/retire").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404, 409).summary("Retire a question (kept for the exams that use it)")
                .request(ExamViews.AtVersion.class).returns(200, Question.class)
                .handle(r -> ok(exams.bank().retire(r.requirePrincipal(), r.pathParam("id"), version(r.jsonObject()))));
        routes.post("/api/courses/{courseId}/exams/generate").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404).summary("Queue the generation of questions from the course's lectures and materials")
                .example(Map.of("counts", Map.of("single_choice", 5, "essay", 1), "sourceIds", List.of("lecture-1"),
                        "difficulty", "medium", "bloom", "apply", "language", "en", "examTitle", "Midterm"))
                .request(ExamViews.Generate.class).returns(202, ExamViews.JobAccepted.class)
                .handle(r -> accepted(new ExamViews.JobAccepted(exams.generator().generate(r.requirePrincipal(),
                        GenerateRequest.fromJson(r.jsonObject(), r.pathParam("courseId"))).id())));
    }

    private void rubrics(Router.Builder routes) {
        routes.post("/api/courses/{courseId}/rubrics").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404).summary("Create a rubric: {title, criteria:[{description, longDescription, ratings:"
                        + "[{description, longDescription, points}]}]}")
                .request(ExamViews.RubricBody.class).returns(201, Rubric.class)
                .handle(r -> {
                    JsonNode b = r.jsonObject();
                    return created(exams.rubrics().create(r.requirePrincipal(), r.pathParam("courseId"),
                            b.path("title").asText(null), criteria(b.get("criteria"))));
                });
        routes.get("/api/courses/{courseId}/rubrics").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("The course's rubrics").returns(200, ExamViews.Rubrics.class)
                .handle(r -> ok(new ExamViews.Rubrics(exams.rubrics().list(r.requirePrincipal(),
                        r.pathParam("courseId")))));
        routes.get("/api/rubrics/{id}").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("One rubric").returns(200, Rubric.class).handle(r -> ok(exams.rubrics().get(r.requirePrincipal(), r.pathParam("id"))));
        routes.put("/api/rubrics/{id}").access(Access.USER).blocking().json().tag("exams").errors(400, 404, 409)
                .summary("Edit a rubric (send the version you edited)")
                .request(ExamViews.RubricBody.class).returns(200, Rubric.class).handle(r -> {
                    JsonNode b = r.jsonObject();
                    return ok(exams.rubrics().edit(r.requirePrincipal(), r.pathParam("id"), version(b),
                            b.hasNonNull("title") ? b.get("title").asText() : null,
                            b.hasNonNull("criteria") ? criteria(b.get("criteria")) : null));
                });
        routes.post("/api/questions/{id}/rubric-draft").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404).summary("Queue a model draft of a rubric for a written question")
                .request(ExamViews.RubricDraft.class).returns(202, ExamViews.JobAccepted.class)
                .handle(r -> accepted(new ExamViews.JobAccepted(exams.rubrics().draft(r.requirePrincipal(), r.pathParam("id"),
                        r.jsonObject().path("model").asText("")).id())));
    }

    private void examRoutes(Router.Builder routes) {
        routes.post("/api/courses/{courseId}/exams").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404).summary("Create a draft exam from questions of the bank, in order")
                .request(ExamViews.ExamBody.class).returns(201, Exam.class)
                .handle(r -> {
                    JsonNode b = r.jsonObject();
                    return created(exams.exams().create(r.requirePrincipal(), r.pathParam("courseId"),
                            b.path("title").asText(null), ids(b.get("questionIds"))));
                });
        routes.get("/api/courses/{courseId}/exams").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("The course's exams").returns(200, ExamViews.Exams.class)
                .handle(r -> ok(new ExamViews.Exams(exams.exams().list(r.requirePrincipal(),
                        r.pathParam("courseId")))));
        routes.get("/api/exams/{id}").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("An exam with its questions").returns(200, ExamService.ExamWithQuestions.class).handle(r -> ok(exams.exams().withQuestions(
                        r.requirePrincipal(), r.pathParam("id"))));
        routes.get("/api/exams/{id}/versions").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("Every version of an exam").returns(200, ExamViews.ExamVersions.class)
                .handle(r -> ok(Map.of("versions",
                        exams.exams().versions(r.requirePrincipal(), r.pathParam("id")))));
        routes.patch("/api/exams/{id}").access(Access.USER).blocking().json().tag("exams").errors(400, 404, 409)
                .summary("Retitle a draft or set its questions in a new order")
                .request(ExamViews.ExamBody.class).returns(200, Exam.class).handle(r -> {
                    JsonNode b = r.jsonObject();
                    return ok(exams.exams().edit(r.requirePrincipal(), r.pathParam("id"), version(b),
                            b.hasNonNull("title") ? b.get("title").asText() : null,
                            b.hasNonNull("questionIds") ? ids(b.get("questionIds")) : null));
                });
        routes.post("/api/exams/{id}/publish").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404, 409).summary("Publish with a window (epoch ms, server clock) and a time limit")
                .example(Map.of("version", 3, "opensAt", 1_800_000_000_000L, "closesAt", 1_800_086_400_000L,
                        "timeLimitMillis", 3_600_000))
                .request(ExamViews.Publish.class).returns(200, Exam.class)
                .handle(r -> {
                    JsonNode b = r.jsonObject();
                    return ok(exams.exams().publish(r.requirePrincipal(), r.pathParam("id"), version(b),
                            number(b, "opensAt"), number(b, "closesAt"), number(b, "timeLimitMillis")));
                });
    }

    private void taking(Router.Builder routes) {
        routes.post("/api/exams/{id}/attempts").access(Access.USER).blocking().tag("exams").errors(404, 409)
                .summary("Start (or resume) your attempt: your shuffled questions, your saved answers, the deadline")
                .returns(200, AttemptService.AttemptView.class)
                .handle(r -> ok(exams.attempts().start(r.requirePrincipal(), r.pathParam("id"))));
        routes.get("/api/attempts/{id}").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("Your attempt").returns(200, AttemptService.AttemptView.class).handle(r -> ok(exams.attempts().view(r.requirePrincipal(), r.pathParam("id"))));
        routes.put("/api/attempts/{id}/answers/{questionId}").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404, 409).summary("Autosave one answer: {response:{selected|value|text}}")
                .request(ExamViews.AnswerBody.class).returns(200, ExamViews.Saved.class)
                .handle(r -> ok(new ExamViews.Saved(exams.attempts().save(r.requirePrincipal(), r.pathParam("id"),
                        r.pathParam("questionId"), r.jsonObject().get("response")))));
        routes.post("/api/attempts/{id}/submit").access(Access.USER).blocking().tag("exams").errors(404, 409)
                .summary("Submit your attempt (final)").returns(200, Attempt.class).handle(r -> ok(exams.attempts().submit(r.requirePrincipal(),
                        r.pathParam("id"))));
        routes.get("/api/attempts/{id}/results").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("Your released results").returns(200, ExamViews.Results.class).handle(r -> ok(exams.grading().results(r.requirePrincipal(),
                        r.pathParam("id"))));
        routes.get("/api/courses/{courseId}/exams/mine").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("For a student of the course: its published exams with window, time limit, your status "
                        + "(not_started, in_progress, submitted, released) and your score once released")
                .returns(200, StudentExams.StudentExamList.class)
                .handle(r -> ok(exams.students().list(r.requirePrincipal(), r.pathParam("courseId"))));
    }

    private void grading(Router.Builder routes) {
        routes.get("/api/exams/{id}/grades").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("Every attempt's answers beside their grades").returns(200, ExamViews.Grades.class)
                .handle(r -> ok(new ExamViews.Grades(exams.grading().review(r.requirePrincipal(),
                        r.pathParam("id")))));
        routes.put("/api/attempts/{id}/grades/{questionId}").access(Access.USER).blocking().json().tag("exams")
                .errors(400, 404, 409).summary("Override a grade: {points, criteria?, comment?}")
                .request(ExamViews.GradeOverride.class).returns(200, GradingService.AnswerReview.class)
                .handle(r -> {
                    JsonNode b = r.jsonObject();
                    if (!b.path("points").isNumber()) {
                        throw ServiceException.badRequest("points: a number");
                    }
                    return ok(exams.grading().override(r.requirePrincipal(), r.pathParam("id"),
                            r.pathParam("questionId"), b.path("points").asDouble(), b.get("criteria"),
                            b.hasNonNull("comment") ? b.get("comment").asText() : null));
                });
        routes.post("/api/exams/{id}/release").access(Access.USER).blocking().tag("exams").errors(404, 409)
                .summary("Release the results to the students").returns(200, Exam.class).handle(r -> ok(exams.grading().release(
                        r.requirePrincipal(), r.pathParam("id"))));
        routes.get("/api/exams/{id}/agreement").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("Model against lecturer: exact match, quadratic weighted kappa, ICC(3,1)")
                .returns(200, Agreement.class)
                .handle(r -> ok(exams.grading().agreement(r.requirePrincipal(), r.pathParam("id"))));
        routes.get("/api/exams/{id}/item-analysis").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("Difficulty and discrimination per question").returns(200, ExamViews.Items.class)
                .handle(r -> ok(new ExamViews.Items(exams.grading().itemAnalysis(r.requirePrincipal(),
                        r.pathParam("id")))));
        routes.get("/api/exams/{id}/results.csv").access(Access.USER).blocking().tag("exams").errors(404)
                .summary("The results as CSV").returns(200, Types.media("text/csv")).handle(r -> ApiResponse.text(200, "text/csv; charset=utf-8",
                        exams.grading().csv(r.requirePrincipal(), r.pathParam("id")))
                        .withHeader("Content-Disposition", "attachment; filename=\"results.csv\"").async());
    }

    private void exports(Router.Builder routes) {
        routes.get("/api/exams/{id}/export/{format}").access(Access.USER).blocking().tag("exams").errors(400, 404)
                .summary("Export: pdf (student copy), answer-key.pdf, gift, moodle.xml or qti.zip")
                .returns(200, Types.either(Types.media("application/pdf"), Types.media("text/plain"),
                        Types.media("application/xml"), Types.media("application/zip")))
                .handle(this::export);
    }

    private CompletionStage<ApiResponse> export(ApiRequest r) {
        Principal caller = r.requirePrincipal();
        ExamService.ExamWithQuestions e = exams.exams().withQuestions(caller, r.pathParam("id"));
        String format = r.pathParam("format");
        String title = e.exam().title();
        ApiResponse response = switch (format) {
            case "pdf" -> ApiResponse.bytes(200, "application/pdf", pdf.render(title, e.questions(), false));
            case "answer-key.pdf" -> ApiResponse.bytes(200, "application/pdf", pdf.render(title, e.questions(), true));
            case "gift" -> ApiResponse.text(200, "text/plain; charset=utf-8", GiftWriter.write(e.questions()));
            case "moodle.xml" -> ApiResponse.text(200, "application/xml; charset=utf-8",
                    MoodleXmlWriter.write(e.questions()));
            case "qti.zip" -> ApiResponse.bytes(200, "application/zip", QtiPackage.zip(e.exam().id(), title,
                    e.questions()));
            default -> throw ServiceException.badRequest("format: pdf, answer-key.pdf, gift, moodle.xml or qti.zip");
        };
        return response.withHeader("Content-Disposition", "attachment; filename=\"exam-" + e.exam().id() + "."
                + (format.equals("gift") ? "gift.txt" : format) + "\"").async();
    }

    private static QuestionContent content(JsonNode b) {
        try {
            return Json.MAPPER.treeToValue(b, QuestionContent.class);
        } catch (JsonProcessingException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ServiceException se) {
                throw se;
            }
            throw ServiceException.badRequest("question: " + e.getOriginalMessage());
        }
    }

    /** Criteria as Canvas writes them; ids are optional, a criterion's points come from its best rating. */
    private static List<Rubric.Criterion> criteria(JsonNode n) {
        if (n == null || !n.isArray()) {
            throw ServiceException.badRequest("criteria: an array");
        }
        List<Rubric.Criterion> out = new java.util.ArrayList<>();
        for (JsonNode c : n) {
            List<Rubric.Rating> ratings = new java.util.ArrayList<>();
            for (JsonNode r : c.path("ratings")) {
                if (!r.path("points").isNumber()) {
                    throw ServiceException.badRequest("criteria[].ratings[].points: a number");
                }
                ratings.add(new Rubric.Rating(text(r, "id"), text(r, "description"), text(r, "longDescription"),
                        r.path("points").asDouble()));
            }
            out.add(new Rubric.Criterion(text(c, "id"), text(c, "description"), text(c, "longDescription"), 0,
                    ratings));
        }
        return out;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ServiceException.badRequest(field + ": a string");
        }
        return v.asText();
    }

    private static List<String> ids(JsonNode n) {
        if (n == null || !n.isArray()) {
            throw ServiceException.badRequest("questionIds: an array of question ids");
        }
        return Json.MAPPER.convertValue(n, new TypeReference<List<String>>() {});
    }

    private static int version(JsonNode b) {
        if (!b.path("version").canConvertToInt()) {
            throw ServiceException.badRequest("version: the version you edited (an integer)");
        }
        return b.path("version").asInt();
    }

    private static long number(JsonNode b, String field) {
        if (!b.path(field).isIntegralNumber()) {
            throw ServiceException.badRequest(field + ": an integer");
        }
        return b.path(field).asLong();
    }

    private static CompletionStage<ApiResponse> ok(Object body) {
        return ApiResponse.json(body).async();
    }

    private static CompletionStage<ApiResponse> created(Object body) {
        return ApiResponse.json(201, body).async();
    }

    private static CompletionStage<ApiResponse> accepted(Object body) {
        return ApiResponse.json(202, body).async();
    }
}

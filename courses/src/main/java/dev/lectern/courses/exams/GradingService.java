package dev.lectern.courses.exams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.jobs.JobContext;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.KindOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Grading after submission. The {@value #KIND} job grades an attempt's written answers against their rubrics with the
 * model ({@link RubricGrader}); an answer the model cannot grade validly is marked {@code failed} for the lecturer.
 * The lecturer sees every answer beside its grade, overrides any of it, and releases the exam's results once nothing
 * is left ungraded; students see their results only then. Agreement (model against lecturer), item analysis and a CSV
 * of the results are computed per exam. Blocking.
 */
public final class GradingService {
    public static final String KIND = "exams.grade";
    private final ExamContext ctx;
    private final ExamService exams;
    private final AttemptService attempts;
    private final RubricGrader grader;
    private final String gradingModel;

    GradingService(ExamContext ctx, ExamService exams, AttemptService attempts, RubricGrader grader, JobEngine engine,
                   String gradingModel) {
        this.ctx = ctx;
        this.exams = exams;
        this.attempts = attempts;
        this.grader = grader;
        this.gradingModel = gradingModel;
        engine.register(KIND, KindOptions.DEFAULTS, this::run);
    }

    private String run(JobContext job) throws Exception {
        String attemptId = Json.MAPPER.readTree(job.payload()).path("attemptId").asText();
        record Work(Question question, Rubric rubric, String text) {}
        List<Work> work = ctx.db().query(c -> {
            Attempt a = ctx.repo().attempt(c, attemptId).orElse(null);
            if (a == null) {
                return List.<Work>of();
            }
            Exam e = ctx.repo().exam(c, a.examId()).orElseThrow();
            List<Work> out = new ArrayList<>();
            for (Question q : exams.questions(c, e)) {
                Answer ans = ctx.repo().answer(c, attemptId, q.id()).orElse(null);
                if (ans != null && Answer.PENDING.equals(ans.gradeStatus()) && Responses.byRubric(q.content())) {
                    out.add(new Work(q, ctx.repo().rubric(c, q.content().rubricId()).orElseThrow(),
                            Responses.text(ans.response())));
                }
            }
            return out;
        });
        int graded = 0;
        int failed = 0;
        for (Work w : work) {
            job.checkCancelled();
            String status;
            Double points;
            String detail;
            try {
                RubricGrader.Grade g = grader.grade(w.question().content(), w.rubric(), w.text(), gradingModel,
                        job::isCancelled);
                status = Answer.MODEL;
                points = g.points();
                Map<String, Object> m = RubricGrader.toJson(g, gradingModel);
                m.put("rubricId", w.rubric().id());
                m.put("rubricVersion", w.rubric().version());
                detail = Json.write(m);
                graded++;
            } catch (ModelJson.ModelJsonException e) {
                status = Answer.FAILED;
                points = null;
                detail = Json.write(Map.of("error", e.code(), "message", e.getMessage(), "errors", e.errors()));
                failed++;
            }
            String s = status;
            Double p = points;
            String d = detail;
            ctx.db().transaction(c -> {
                ctx.repo().modelGrade(c, attemptId, w.question().id(), s, p, d);
                return null;
            });
        }
        return Json.write(Map.of("attemptId", attemptId, "graded", graded, "failed", failed));
    }

    /** One answer as the lecturer reviews it. */
    public record AnswerReview(String questionId, int position, String type, double maxPoints, JsonNode response,
                               String gradeStatus, Double autoPoints, Double modelPoints, JsonNode modelGrade,
                               Double lecturerPoints, JsonNode lecturerGrade, Double points) {}

    public record AttemptReview(String attemptId, String studentId, long startedAt, Long submittedAt,
                                List<AnswerReview> answers, double total) {}

    /** Every attempt of the exam with its answers and grades (expired attempts are submitted first). */
    public List<AttemptReview> review(Principal caller, String examId) {
        return ctx.db().transaction(c -> {
            Exam e = exams.owned(c, caller, examId);
            attempts.closeExpired(c, e);
            return reviews(c, e);
        });
    }

    private List<AttemptReview> reviews(Connection c, Exam e) throws SQLException {
        List<Question> questions = exams.questions(c, e);
        List<AttemptReview> out = new ArrayList<>();
        for (Attempt a : ctx.repo().attempts(c, e.id())) {
            Map<String, Answer> byQuestion = new HashMap<>();
            ctx.repo().answers(c, a.id()).forEach(x -> byQuestion.put(x.questionId(), x));
            List<AnswerReview> answers = new ArrayList<>();
            double total = 0;
            for (int i = 0; i < questions.size(); i++) {
                Question q = questions.get(i);
                Answer x = byQuestion.get(q.id());
                if (x == null) {
                    answers.add(new AnswerReview(q.id(), i + 1, q.content().type().wire(), q.content().points(),
                            Json.MAPPER.createObjectNode(), Answer.PENDING, null, null, null, null, null, null));
                    continue;
                }
                Double points = x.finalPoints();
                total += points == null ? 0 : points;
                answers.add(new AnswerReview(q.id(), i + 1, q.content().type().wire(), q.content().points(),
                        Responses.tree(x.response()), x.gradeStatus(), x.autoPoints(), x.modelPoints(),
                        x.modelGrade() == null ? null : Responses.tree(x.modelGrade()), x.lecturerPoints(),
                        x.lecturerGrade() == null ? null : Responses.tree(x.lecturerGrade()), points));
            }
            out.add(new AttemptReview(a.id(), a.studentId(), a.startedAt(), a.submittedAt(), answers,
                    RubricGrader.round2(total)));
        }
        return out;
    }

    /**
     * The lecturer's grade of one answer: points (0 to the question's), optionally per-criterion ratings and a
     * comment. Allowed until the results are released.
     */
    public AnswerReview override(Principal caller, String attemptId, String questionId, double points,
                                 JsonNode criteria, String comment) {
        return ctx.db().transaction(c -> {
            Attempt a = ctx.repo().attempt(c, attemptId).orElseThrow(() -> ServiceException.notFound(
                    "attempt not found"));
            Exam e = exams.owned(c, caller, a.examId());
            if (e.releasedAt() != null) {
                throw ExamContext.conflict("results_released", "the results were released; grades are final");
            }
            if (!a.submitted()) {
                throw ExamContext.conflict("attempt_open", "the attempt is not submitted yet");
            }
            Question q = exams.questions(c, e).stream().filter(x -> x.id().equals(questionId)).findFirst()
                    .orElseThrow(() -> ServiceException.notFound("no such question in this exam"));
            if (!Double.isFinite(points) || points < 0 || points > q.content().points()) {
                throw ServiceException.badRequest("points: 0 to " + q.content().points());
            }
            if (comment != null && comment.length() > 5000) {
                throw ServiceException.badRequest("comment: at most 5000 characters");
            }
            if (criteria != null && !criteria.isNull()) {
                checkCriteria(c, q, criteria);
            }
            Map<String, Object> grade = new LinkedHashMap<>();
            grade.put("by", caller.userId());
            grade.put("at", ctx.now());
            grade.put("criteria", criteria == null || criteria.isNull() ? List.of() : criteria);
            grade.put("comment", comment == null ? "" : comment);
            ctx.repo().override(c, attemptId, questionId, points, Json.write(grade));
            return reviews(c, e).stream().filter(r -> r.attemptId().equals(attemptId)).findFirst().orElseThrow()
                    .answers().stream().filter(r -> r.questionId().equals(questionId)).findFirst().orElseThrow();
        });
    }

    /**
     * A lecturer's per-criterion grade must name the question's rubric's criteria and ratings:
     * {@code [{criterionId, ratingId, comment?}]}, each criterion at most once.
     */
    private void checkCriteria(Connection c, Question q, JsonNode criteria) throws SQLException {
        if (q.content().rubricId() == null || !criteria.isArray()) {
            throw ServiceException.badRequest("criteria: an array of {criterionId, ratingId}, for a question with a "
                    + "rubric");
        }
        Rubric rubric = ctx.repo().rubric(c, q.content().rubricId()).orElseThrow();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (JsonNode n : criteria) {
            String cid = n.path("criterionId").asText();
            Rubric.Criterion criterion = rubric.criteria().stream().filter(x -> x.id().equals(cid)).findFirst()
                    .orElseThrow(() -> ServiceException.badRequest("criteria: no criterion '" + cid + "' in the "
                            + "rubric"));
            if (!seen.add(cid)) {
                throw ServiceException.badRequest("criteria: '" + cid + "' appears twice");
            }
            String rid = n.path("ratingId").asText();
            if (criterion.ratings().stream().noneMatch(r -> r.id().equals(rid))) {
                throw ServiceException.badRequest("criteria: no rating '" + rid + "' in criterion '" + cid + "'");
            }
        }
    }

    /** Releases the results: every attempt submitted (expired ones are), no answer pending or failed. */
    public Exam release(Principal caller, String examId) {
        return ctx.db().transaction(c -> {
            Exam e = exams.owned(c, caller, examId);
            if (!e.published()) {
                throw ExamContext.conflict("exam_draft", "a draft has no results");
            }
            if (e.releasedAt() != null) {
                return e;
            }
            attempts.closeExpired(c, e);
            List<String> open = new ArrayList<>();
            for (AttemptReview r : reviews(c, e)) {
                if (r.submittedAt() == null) {
                    open.add(r.studentId() + ": still taking the exam");
                }
                for (AnswerReview x : r.answers()) {
                    if (x.points() == null) {
                        open.add(r.studentId() + " question " + x.position() + ": " + x.gradeStatus());
                    }
                }
            }
            if (!open.isEmpty()) {
                throw ExamContext.conflict("grading_incomplete", "not everything is graded: "
                        + String.join("; ", open.subList(0, Math.min(10, open.size()))));
            }
            return exams.markReleased(c, caller, e);
        });
    }

    /** A student's own released results (404 before the release). */
    public Map<String, Object> results(Principal caller, String attemptId) {
        return ctx.db().query(c -> {
            Attempt a = ctx.repo().attempt(c, attemptId).filter(x -> x.studentId().equals(caller.userId()))
                    .orElseThrow(() -> ServiceException.notFound("attempt not found"));
            Exam e = ctx.repo().exam(c, a.examId()).orElseThrow();
            if (e.releasedAt() == null) {
                throw ServiceException.notFound("the results are not released yet");
            }
            AttemptReview r = reviews(c, e).stream().filter(x -> x.attemptId().equals(attemptId)).findFirst()
                    .orElseThrow();
            List<Question> questions = exams.questions(c, e);
            List<Map<String, Object>> items = new ArrayList<>();
            for (AnswerReview x : r.answers()) {
                Question q = questions.get(x.position() - 1);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("questionId", x.questionId());
                m.put("position", x.position());
                m.put("stem", q.content().stem());
                m.put("response", x.response());
                m.put("points", x.points());
                m.put("maxPoints", x.maxPoints());
                m.put("explanation", q.content().explanation());
                m.put("grade", x.lecturerGrade() != null ? x.lecturerGrade() : x.modelGrade());
                items.add(m);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("attemptId", attemptId);
            out.put("examId", e.id());
            out.put("title", e.title());
            out.put("total", r.total());
            out.put("maxPoints", questions.stream().mapToDouble(q -> q.content().points()).sum());
            out.put("answers", items);
            return out;
        });
    }

    /** Model against lecturer over the exam's model-graded answers. */
    public Agreement agreement(Principal caller, String examId) {
        return ctx.db().query(c -> {
            List<Agreement.Pair> pairs = new ArrayList<>();
            for (AttemptReview r : reviews(c, exams.owned(c, caller, examId))) {
                for (AnswerReview x : r.answers()) {
                    if (x.modelPoints() != null) {
                        pairs.add(new Agreement.Pair(x.modelPoints(), x.points()));
                    }
                }
            }
            return Agreement.of(pairs);
        });
    }

    /** Difficulty and discrimination of each question over the submitted attempts. */
    public List<ItemAnalysis> itemAnalysis(Principal caller, String examId) {
        return ctx.db().query(c -> {
            Exam e = exams.owned(c, caller, examId);
            List<Question> questions = exams.questions(c, e);
            List<AttemptReview> done = reviews(c, e).stream().filter(r -> r.submittedAt() != null).toList();
            double[][] scores = new double[done.size()][questions.size()];
            for (int s = 0; s < done.size(); s++) {
                for (AnswerReview x : done.get(s).answers()) {
                    scores[s][x.position() - 1] = x.points() == null ? 0 : x.points();
                }
            }
            double[] max = questions.stream().mapToDouble(q -> q.content().points()).toArray();
            return ItemAnalysis.of(questions.stream().map(Question::id).toList(),
                    questions.stream().map(q -> q.content().type().wire()).toList(), max, scores);
        });
    }

    /**
     * The results as CSV (RFC 4180, CRLF): student, attempt, submission time (ISO-8601 UTC), status, one column of
     * points per question in exam order ({@code Q1 (2.0)}: number and points possible), total and maximum.
     */
    public String csv(Principal caller, String examId) {
        return ctx.db().query(c -> {
            Exam e = exams.owned(c, caller, examId);
            List<Question> questions = exams.questions(c, e);
            double max = questions.stream().mapToDouble(q -> q.content().points()).sum();
            StringBuilder b = new StringBuilder("student_id,attempt_id,submitted_at,status");
            for (int i = 0; i < questions.size(); i++) {
                b.append(",Q").append(i + 1).append(" (").append(questions.get(i).content().points()).append(')');
            }
            b.append(",total,max_points\r\n");
            for (AttemptReview r : reviews(c, e)) {
                b.append(csvField(r.studentId())).append(',').append(r.attemptId()).append(',')
                        .append(r.submittedAt() == null ? "" : java.time.Instant.ofEpochMilli(r.submittedAt()))
                        .append(',').append(r.submittedAt() == null ? "in_progress"
                                : e.releasedAt() != null ? "released" : "submitted");
                for (AnswerReview x : r.answers()) {
                    b.append(',').append(x.points() == null ? "" : number(x.points()));
                }
                b.append(',').append(number(r.total())).append(',').append(number(max)).append("\r\n");
            }
            return b.toString();
        });
    }

    static String number(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** A field quoted when it holds a comma, quote or line break; a leading = + - @ is defused against spreadsheets. */
    static String csvField(String s) {
        String v = s == null ? "" : s;
        if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0) {
            v = "'" + v;
        }
        if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
            v = "\"" + v.replace("\"", "\"\"") + "\"";
        }
        return v;
    }
}

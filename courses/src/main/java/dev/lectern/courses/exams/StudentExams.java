package dev.lectern.courses.exams;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A student's view of a course's exams: the published ones with their window and time limit, where the student stands
 * ({@value #NOT_STARTED}, {@value #IN_PROGRESS}, {@value #SUBMITTED}, {@value #RELEASED}) and, once the results are
 * released, the score. An attempt past its deadline counts as submitted (grading treats it so). Drafts are never
 * listed; a caller who may not take the course gets a 404. Blocking.
 */
public final class StudentExams {
    public static final String NOT_STARTED = "not_started";
    public static final String IN_PROGRESS = "in_progress";
    public static final String SUBMITTED = "submitted";
    public static final String RELEASED = "released";

    private final ExamContext ctx;
    private final GradingService grading;

    StudentExams(ExamContext ctx, GradingService grading) {
        this.ctx = ctx;
        this.grading = grading;
    }

    /** One published exam as its student sees it; {@code open}: the window holds the server's now. */
    public record StudentExam(String examId, String courseId, String title, long opensAt, long closesAt,
                              long timeLimitMillis, boolean open, String status, String attemptId, Long startedAt,
                              Long deadlineAt, Long submittedAt, Long releasedAt, Double score, Double maxPoints) {}

    /** The list, in the order the exams were created, with the server's clock. */
    public record StudentExamList(List<StudentExam> exams, long serverNow) {}

    public StudentExamList list(Principal caller, String courseId) {
        if (!ctx.courses().mayTake(caller, courseId)) {
            throw ServiceException.notFound("course not found");
        }
        long now = ctx.now();
        record Row(Exam exam, Attempt attempt) {}
        List<Row> rows = ctx.db().query(c -> {
            List<Row> out = new ArrayList<>();
            for (String id : ctx.repo().examIds(c, courseId)) {
                Exam e = ctx.repo().exam(c, id).orElseThrow();
                if (e.published()) {
                    out.add(new Row(e, ctx.repo().attemptOf(c, id, caller.userId()).orElse(null)));
                }
            }
            return out;
        });
        List<StudentExam> exams = new ArrayList<>();
        for (Row r : rows) {
            Exam e = r.exam();
            Attempt a = r.attempt();
            boolean done = a != null && (a.submitted() || now >= a.deadlineAt());
            String status = a == null ? NOT_STARTED : !done ? IN_PROGRESS
                    : e.releasedAt() != null ? RELEASED : SUBMITTED;
            Double score = null;
            Double max = null;
            if (RELEASED.equals(status)) {
                Map<String, Object> results = grading.results(caller, a.id());
                score = ((Number) results.get("total")).doubleValue();
                max = ((Number) results.get("maxPoints")).doubleValue();
            }
            exams.add(new StudentExam(e.id(), e.courseId(), e.title(), e.opensAt(), e.closesAt(),
                    e.timeLimitMillis(), now >= e.opensAt() && now < e.closesAt(), status,
                    a == null ? null : a.id(), a == null ? null : a.startedAt(), a == null ? null : a.deadlineAt(),
                    a == null ? null : a.submittedAt(), e.releasedAt(), score, max));
        }
        return new StudentExamList(exams, now);
    }
}

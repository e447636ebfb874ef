package dev.lectern.courses.exams;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A course's exams: a draft names questions of the bank in order (set, reorder, retitle, each a new version); publishing
 * checks every question (approved, valid, written ones gradable), pins each to its current version and fixes the
 * window and time limit. A published exam no longer changes except for its release. Blocking.
 */
public final class ExamService {
    public static final int MAX_ITEMS = 200;
    private final ExamContext ctx;

    ExamService(ExamContext ctx) {
        this.ctx = ctx;
    }

    public Exam create(Principal caller, String courseId, String title, List<String> questionIds) {
        ctx.requireTeacher(caller, courseId);
        return ctx.db().transaction(c -> createIn(c, caller, courseId, title, questionIds));
    }

    /** Creates a draft exam in the caller's transaction (the caller checked that they may). */
    Exam createIn(Connection c, Principal caller, String courseId, String title, List<String> questionIds)
            throws SQLException {
        long now = ctx.now();
        Exam e = new Exam(ExamContext.newId(), courseId, title(title), Exam.DRAFT, null, null, null, null, 1,
                items(c, courseId, questionIds), caller.userId(), now, now);
        ctx.repo().insertExam(c, e);
        return e;
    }

    public Exam get(Principal caller, String id) {
        return ctx.db().query(c -> owned(c, caller, id));
    }

    public List<Exam> list(Principal caller, String courseId) {
        ctx.requireTeacher(caller, courseId);
        return ctx.db().query(c -> {
            List<Exam> out = new ArrayList<>();
            for (String id : ctx.repo().examIds(c, courseId)) {
                out.add(ctx.repo().exam(c, id).orElseThrow());
            }
            return out;
        });
    }

    public List<ExamRepository.ExamVersion> versions(Principal caller, String id) {
        return ctx.db().query(c -> {
            owned(c, caller, id);
            return ctx.repo().examVersions(c, id);
        });
    }

    /** Retitles and/or sets the questions in a new order (null keeps either); only a draft, at its current version. */
    public Exam edit(Principal caller, String id, int expectedVersion, String title, List<String> questionIds) {
        return ctx.db().transaction(c -> {
            Exam e = draft(c, caller, id, expectedVersion);
            Exam next = new Exam(e.id(), e.courseId(), title == null ? e.title() : title(title), e.status(), null, null,
                    null, null, e.version() + 1, questionIds == null ? e.items() : items(c, e.courseId(), questionIds),
                    e.createdBy(), e.createdAt(), ctx.now());
            save(c, caller, e, next, questionIds == null ? "retitled" : "reordered");
            return next;
        });
    }

    /** Publishes a draft with its window (server clock, epoch ms) and time limit. */
    public Exam publish(Principal caller, String id, int expectedVersion, long opensAt, long closesAt,
                        long timeLimitMillis) {
        if (closesAt <= opensAt) {
            throw ServiceException.badRequest("closesAt must be after opensAt");
        }
        if (timeLimitMillis < 60_000 || timeLimitMillis > 7 * 24 * 3_600_000L) {
            throw ServiceException.badRequest("timeLimitMillis: 1 minute to 7 days");
        }
        return ctx.db().transaction(c -> {
            Exam e = draft(c, caller, id, expectedVersion);
            if (e.items().isEmpty()) {
                throw ServiceException.badRequest("an exam needs at least one question");
            }
            List<String> errors = new ArrayList<>();
            List<Exam.Item> pinned = new ArrayList<>();
            for (Exam.Item item : e.items()) {
                Question q = ctx.repo().question(c, item.questionId()).orElseThrow();
                String where = "question " + item.position() + ": ";
                if (!Question.APPROVED.equals(q.status())) {
                    errors.add(where + "not approved (" + q.status() + ")");
                }
                QuestionChecks.check(q.content()).forEach(err -> errors.add(where + err));
                QuestionContent qc = q.content();
                if (qc.type() == QuestionType.ESSAY && qc.rubricId() == null) {
                    errors.add(where + "an essay needs a rubric to be graded");
                }
                if (qc.type() == QuestionType.SHORT_ANSWER && qc.rubricId() == null && qc.options().isEmpty()) {
                    errors.add(where + "a short answer needs a rubric or accepted answers to be graded");
                }
                pinned.add(new Exam.Item(item.questionId(), item.position(), q.version()));
            }
            if (!errors.isEmpty()) {
                throw ExamContext.invalid("exam", errors);
            }
            Exam next = new Exam(e.id(), e.courseId(), e.title(), Exam.PUBLISHED, opensAt, closesAt, timeLimitMillis,
                    null, e.version() + 1, pinned, e.createdBy(), e.createdAt(), ctx.now());
            save(c, caller, e, next, "published");
            return next;
        });
    }

    /** Marks the results released (the grading service checks that everything is graded first). */
    Exam markReleased(Connection c, Principal caller, Exam e) throws SQLException {
        Exam next = new Exam(e.id(), e.courseId(), e.title(), e.status(), e.opensAt(), e.closesAt(),
                e.timeLimitMillis(), ctx.now(), e.version() + 1, e.items(), e.createdBy(), e.createdAt(), ctx.now());
        save(c, caller, e, next, "released");
        return next;
    }

    /** The exam's questions in order, each at its pinned version (current version while a draft). */
    List<Question> questions(Connection c, Exam e) throws SQLException {
        List<Question> out = new ArrayList<>();
        for (Exam.Item item : e.items()) {
            out.add(item.questionVersion() == null ? ctx.repo().question(c, item.questionId()).orElseThrow()
                    : ctx.repo().questionAt(c, item.questionId(), item.questionVersion()).orElseThrow());
        }
        return out;
    }

    /** For a teacher: the exam and its questions, as the exports take them. */
    public ExamWithQuestions withQuestions(Principal caller, String id) {
        return ctx.db().query(c -> {
            Exam e = owned(c, caller, id);
            return new ExamWithQuestions(e, questions(c, e));
        });
    }

    public record ExamWithQuestions(Exam exam, List<Question> questions) {}

    Exam owned(Connection c, Principal caller, String id) throws SQLException {
        Exam e = ctx.repo().exam(c, id).orElseThrow(() -> ServiceException.notFound("exam not found"));
        if (!ctx.courses().mayTeach(caller, e.courseId())) {
            throw ServiceException.notFound("exam not found");
        }
        return e;
    }

    private Exam draft(Connection c, Principal caller, String id, int expectedVersion) throws SQLException {
        Exam e = owned(c, caller, id);
        if (e.published()) {
            throw ExamContext.conflict("exam_published", "a published exam cannot change");
        }
        if (e.version() != expectedVersion) {
            throw ExamContext.conflict("version_conflict", "the exam is at version " + e.version() + ", not "
                    + expectedVersion + "; reload it");
        }
        return e;
    }

    private void save(Connection c, Principal caller, Exam before, Exam next, String change) throws SQLException {
        if (!ctx.repo().updateExam(c, next, before.version(), change, caller.userId())) {
            throw ExamContext.conflict("version_conflict", "the exam changed meanwhile; reload it");
        }
    }

    private List<Exam.Item> items(Connection c, String courseId, List<String> questionIds) throws SQLException {
        if (questionIds == null) {
            return List.of();
        }
        if (questionIds.size() > MAX_ITEMS) {
            throw ServiceException.badRequest("at most " + MAX_ITEMS + " questions");
        }
        Set<String> seen = new HashSet<>();
        List<Exam.Item> out = new ArrayList<>();
        for (String qid : questionIds) {
            if (qid == null || !seen.add(qid)) {
                throw ServiceException.badRequest("questionIds: each question once");
            }
            Question q = ctx.repo().question(c, qid).filter(x -> x.courseId().equals(courseId))
                    .orElseThrow(() -> ServiceException.badRequest("questionIds: " + qid + " is not in this course"));
            if (Question.RETIRED.equals(q.status())) {
                throw ServiceException.badRequest("questionIds: " + qid + " is retired");
            }
            out.add(new Exam.Item(qid, out.size() + 1, null));
        }
        return out;
    }

    private static String title(String title) {
        String t = title == null ? "" : title.strip();
        if (t.isEmpty() || t.length() > 200) {
            throw ServiceException.badRequest("title: 1-200 characters");
        }
        return t;
    }
}

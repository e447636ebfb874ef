package dev.lectern.courses.exams;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A course's question bank. Only the course's teachers see it. Questions start as drafts; every edit, approval or
 * retirement is a new version (the history stays readable), an edit of an approved question makes it a draft again,
 * and an edit names the version it was made on, so two lecturers never overwrite each other unseen. Blocking.
 */
public final class QuestionBank {
    private final ExamContext ctx;

    QuestionBank(ExamContext ctx) {
        this.ctx = ctx;
    }

    public Question create(Principal caller, String courseId, QuestionContent content) {
        ctx.requireTeacher(caller, courseId);
        check(content);
        long now = ctx.now();
        Question q = new Question(ExamContext.newId(), courseId, Question.DRAFT, 1, content, caller.userId(), now, now);
        return ctx.db().transaction(c -> {
            requireRubricOfCourse(c, courseId, content);
            if (QuestionChecks.nearDuplicate(content.stem(), stems(c, courseId, null))) {
                throw ExamContext.conflict("near_duplicate", "a question like this one is already in the bank");
            }
            ctx.repo().insertQuestion(c, q, null);
            return q;
        });
    }

    /** Inserts checked drafts made by a job; the caller already ran the checks. */
    void insertDrafts(Connection c, List<Question> drafts, String jobId) throws SQLException {
        for (Question q : drafts) {
            ctx.repo().insertQuestion(c, q, jobId);
        }
    }

    public Question get(Principal caller, String id) {
        return ctx.db().query(c -> owned(c, caller, id));
    }

    public List<Question> list(Principal caller, String courseId) {
        ctx.requireTeacher(caller, courseId);
        return ctx.db().query(c -> ctx.repo().questions(c, courseId));
    }

    public List<ExamRepository.QuestionVersion> versions(Principal caller, String id) {
        return ctx.db().query(c -> {
            owned(c, caller, id);
            return ctx.repo().questionVersions(c, id);
        });
    }

    /** Replaces the content; {@code expectedVersion} must be the current version (409 otherwise). */
    public Question edit(Principal caller, String id, int expectedVersion, QuestionContent content) {
        check(content);
        return ctx.db().transaction(c -> {
            Question q = owned(c, caller, id);
            requireRubricOfCourse(c, q.courseId(), content);
            if (QuestionChecks.nearDuplicate(content.stem(), stems(c, q.courseId(), id))) {
                throw ExamContext.conflict("near_duplicate", "a question like this one is already in the bank");
            }
            return change(c, caller, q, expectedVersion, Question.DRAFT, content, "edited");
        });
    }

    public Question approve(Principal caller, String id, int expectedVersion) {
        return ctx.db().transaction(c -> {
            Question q = owned(c, caller, id);
            List<String> errors = QuestionChecks.check(q.content());
            if (!errors.isEmpty()) {
                throw ExamContext.invalid("question", errors);
            }
            return change(c, caller, q, expectedVersion, Question.APPROVED, q.content(), "approved");
        });
    }

    public Question retire(Principal caller, String id, int expectedVersion) {
        return ctx.db().transaction(c -> {
            Question q = owned(c, caller, id);
            return change(c, caller, q, expectedVersion, Question.RETIRED, q.content(), "retired");
        });
    }

    private Question change(Connection c, Principal caller, Question q, int expectedVersion, String status,
                            QuestionContent content, String change) throws SQLException {
        if (q.version() != expectedVersion) {
            throw ExamContext.conflict("version_conflict", "the question is at version " + q.version() + ", not "
                    + expectedVersion + "; reload it");
        }
        Question next = new Question(q.id(), q.courseId(), status, q.version() + 1, content, q.createdBy(),
                q.createdAt(), ctx.now());
        if (!ctx.repo().updateQuestion(c, next, q.version(), change, caller.userId())) {
            throw ExamContext.conflict("version_conflict", "the question changed meanwhile; reload it");
        }
        return next;
    }

    private Question owned(Connection c, Principal caller, String id) throws SQLException {
        Question q = ctx.repo().question(c, id).orElseThrow(() -> ServiceException.notFound("question not found"));
        if (!ctx.courses().mayTeach(caller, q.courseId())) {
            throw ServiceException.notFound("question not found");
        }
        return q;
    }

    /** The stems of the course's live questions (not retired), except {@code exceptId}. */
    List<String> stems(Connection c, String courseId, String exceptId) throws SQLException {
        List<String> out = new ArrayList<>();
        for (Question q : ctx.repo().questions(c, courseId)) {
            if (!q.id().equals(exceptId) && !Question.RETIRED.equals(q.status())) {
                out.add(q.content().stem());
            }
        }
        return out;
    }

    private void requireRubricOfCourse(Connection c, String courseId, QuestionContent content) throws SQLException {
        if (content.rubricId() != null && ctx.repo().rubric(c, content.rubricId())
                .filter(r -> r.courseId().equals(courseId)).isEmpty()) {
            throw ServiceException.badRequest("rubricId: no such rubric in this course");
        }
    }

    private static void check(QuestionContent content) {
        if (content == null) {
            throw ServiceException.badRequest("question content is missing");
        }
        List<String> errors = QuestionChecks.check(content);
        if (!errors.isEmpty()) {
            throw ExamContext.invalid("question", errors);
        }
    }
}

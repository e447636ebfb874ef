package dev.lectern.courses.exams;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** The exams tables (V35-V38). Plain JDBC on a connection the services hand in; no checks of who may do what. */
final class ExamRepository {
    private static final TypeReference<List<Rubric.Criterion>> CRITERIA = new TypeReference<>() {};

    // ---------------------------------------------------------------- questions

    void insertQuestion(Connection c, Question q, String sourceJob) throws SQLException {
        update(c, "INSERT INTO exam_questions (id, course_id, type, status, body, version, source_job, "
                        + "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                q.id(), q.courseId(), q.content().type().wire(), q.status(), Json.write(q.content()), q.version(),
                sourceJob, q.createdBy(), q.createdAt(), q.updatedAt());
        questionVersion(c, q, "created", q.createdBy(), q.createdAt());
    }

    /** Writes the new state and its version row; false when {@code expectedVersion} is no longer current. */
    boolean updateQuestion(Connection c, Question q, int expectedVersion, String change, String by) throws SQLException {
        int n = update(c, "UPDATE exam_questions SET type = ?, status = ?, body = ?, version = ?, updated_at = ? "
                        + "WHERE id = ? AND version = ?", q.content().type().wire(), q.status(),
                Json.write(q.content()), q.version(), q.updatedAt(), q.id(), expectedVersion);
        if (n == 1) {
            questionVersion(c, q, change, by, q.updatedAt());
        }
        return n == 1;
    }

    private void questionVersion(Connection c, Question q, String change, String by, long at) throws SQLException {
        update(c, "INSERT INTO exam_question_versions (question_id, version, status, body, change, changed_by, "
                        + "changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)", q.id(), q.version(), q.status(),
                Json.write(q.content()), change, by, at);
    }

    Optional<Question> question(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT id, course_id, status, version, body, created_by, created_at, updated_at "
                + "FROM exam_questions WHERE id = ?", ExamRepository::question, id);
    }

    /** The question as it was at {@code version}. */
    Optional<Question> questionAt(Connection c, String id, int version) throws SQLException {
        return Jdbc.one(c, "SELECT q.id, q.course_id, v.status, v.version, v.body, q.created_by, q.created_at, "
                + "v.changed_at FROM exam_questions q JOIN exam_question_versions v ON v.question_id = q.id "
                + "WHERE q.id = ? AND v.version = ?", ExamRepository::question, id, version);
    }

    List<Question> questions(Connection c, String courseId) throws SQLException {
        return Jdbc.list(c, "SELECT id, course_id, status, version, body, created_by, created_at, updated_at "
                + "FROM exam_questions WHERE course_id = ? ORDER BY created_at, id", ExamRepository::question, courseId);
    }

    /** Every version of a question, oldest first: {version, status, change, changedBy, changedAt, content}. */
    List<QuestionVersion> questionVersions(Connection c, String id) throws SQLException {
        return Jdbc.list(c, "SELECT version, status, change, changed_by, changed_at, body FROM exam_question_versions "
                        + "WHERE question_id = ? ORDER BY version", rs -> new QuestionVersion(rs.getInt(1),
                        rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                        content(rs.getString(6))), id);
    }

    record QuestionVersion(int version, String status, String change, String changedBy, long changedAt,
                           QuestionContent content) {}

    private static Question question(ResultSet rs) throws SQLException {
        return new Question(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), content(rs.getString(5)),
                rs.getString(6), rs.getLong(7), rs.getLong(8));
    }

    private static QuestionContent content(String json) throws SQLException {
        try {
            return Json.MAPPER.readValue(json, QuestionContent.class);
        } catch (java.io.IOException e) {
            throw new SQLException("unreadable question body", e);
        }
    }

    // ---------------------------------------------------------------- rubrics

    void insertRubric(Connection c, Rubric r) throws SQLException {
        update(c, "INSERT INTO exam_rubrics (id, course_id, title, body, version, created_by, created_at, "
                        + "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", r.id(), r.courseId(), r.title(),
                Json.write(r.criteria()), r.version(), r.createdBy(), r.createdAt(), r.updatedAt());
        rubricVersion(c, r, r.createdBy());
    }

    boolean updateRubric(Connection c, Rubric r, int expectedVersion, String by) throws SQLException {
        int n = update(c, "UPDATE exam_rubrics SET title = ?, body = ?, version = ?, updated_at = ? "
                + "WHERE id = ? AND version = ?", r.title(), Json.write(r.criteria()), r.version(), r.updatedAt(),
                r.id(), expectedVersion);
        if (n == 1) {
            rubricVersion(c, r, by);
        }
        return n == 1;
    }

    private void rubricVersion(Connection c, Rubric r, String by) throws SQLException {
        update(c, "INSERT INTO exam_rubric_versions (rubric_id, version, title, body, changed_by, changed_at) "
                + "VALUES (?, ?, ?, ?, ?, ?)", r.id(), r.version(), r.title(), Json.write(r.criteria()), by,
                r.updatedAt());
    }

    Optional<Rubric> rubric(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT id, course_id, title, body, version, created_by, created_at, updated_at "
                + "FROM exam_rubrics WHERE id = ?", ExamRepository::rubric, id);
    }

    List<Rubric> rubrics(Connection c, String courseId) throws SQLException {
        return Jdbc.list(c, "SELECT id, course_id, title, body, version, created_by, created_at, updated_at "
                + "FROM exam_rubrics WHERE course_id = ? ORDER BY created_at, id", ExamRepository::rubric, courseId);
    }

    int rubricVersions(Connection c, String id) throws SQLException {
        return (int) Jdbc.count(c, "SELECT COUNT(*) FROM exam_rubric_versions WHERE rubric_id = ?", id);
    }

    private static Rubric rubric(ResultSet rs) throws SQLException {
        try {
            return new Rubric(rs.getString(1), rs.getString(2), rs.getString(3),
                    Json.MAPPER.readValue(rs.getString(4), CRITERIA), rs.getInt(5), rs.getString(6), rs.getLong(7),
                    rs.getLong(8));
        } catch (java.io.IOException e) {
            throw new SQLException("unreadable rubric body", e);
        }
    }

    // ---------------------------------------------------------------- exams

    void insertExam(Connection c, Exam e) throws SQLException {
        update(c, "INSERT INTO exams (id, course_id, title, status, opens_at, closes_at, time_limit_millis, "
                        + "released_at, version, created_by, created_at, updated_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", e.id(), e.courseId(), e.title(), e.status(),
                e.opensAt(), e.closesAt(), e.timeLimitMillis(), e.releasedAt(), e.version(), e.createdBy(),
                e.createdAt(), e.updatedAt());
        writeItems(c, e);
        examVersion(c, e, "created", e.createdBy());
    }

    boolean updateExam(Connection c, Exam e, int expectedVersion, String change, String by) throws SQLException {
        int n = update(c, "UPDATE exams SET title = ?, status = ?, opens_at = ?, closes_at = ?, "
                        + "time_limit_millis = ?, released_at = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?",
                e.title(), e.status(), e.opensAt(), e.closesAt(), e.timeLimitMillis(), e.releasedAt(), e.version(),
                e.updatedAt(), e.id(), expectedVersion);
        if (n == 1) {
            update(c, "DELETE FROM exam_items WHERE exam_id = ?", e.id());
            writeItems(c, e);
            examVersion(c, e, change, by);
        }
        return n == 1;
    }

    private void writeItems(Connection c, Exam e) throws SQLException {
        for (Exam.Item item : e.items()) {
            update(c, "INSERT INTO exam_items (exam_id, position, question_id, question_version) "
                    + "VALUES (?, ?, ?, ?)", e.id(), item.position(), item.questionId(), item.questionVersion());
        }
    }

    private void examVersion(Connection c, Exam e, String change, String by) throws SQLException {
        update(c, "INSERT INTO exam_versions (exam_id, version, body, change, changed_by, changed_at) "
                + "VALUES (?, ?, ?, ?, ?, ?)", e.id(), e.version(), Json.write(e), change, by, e.updatedAt());
    }

    Optional<Exam> exam(Connection c, String id) throws SQLException {
        Optional<Exam> bare = Jdbc.one(c, "SELECT id, course_id, title, status, opens_at, closes_at, "
                + "time_limit_millis, released_at, version, created_by, created_at, updated_at FROM exams WHERE id = ?",
                rs -> new Exam(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), longOrNull(rs, 5),
                        longOrNull(rs, 6), longOrNull(rs, 7), longOrNull(rs, 8), rs.getInt(9), List.of(),
                        rs.getString(10), rs.getLong(11), rs.getLong(12)), id);
        if (bare.isEmpty()) {
            return bare;
        }
        Exam e = bare.get();
        List<Exam.Item> items = Jdbc.list(c, "SELECT question_id, position, question_version FROM exam_items "
                + "WHERE exam_id = ? ORDER BY position", rs -> new Exam.Item(rs.getString(1), rs.getInt(2),
                rs.getObject(3) == null ? null : rs.getInt(3)), id);
        return Optional.of(new Exam(e.id(), e.courseId(), e.title(), e.status(), e.opensAt(), e.closesAt(),
                e.timeLimitMillis(), e.releasedAt(), e.version(), items, e.createdBy(), e.createdAt(), e.updatedAt()));
    }

    List<String> examIds(Connection c, String courseId) throws SQLException {
        return Jdbc.list(c, "SELECT id FROM exams WHERE course_id = ? ORDER BY created_at, id", rs -> rs.getString(1),
                courseId);
    }

    List<ExamVersion> examVersions(Connection c, String id) throws SQLException {
        return Jdbc.list(c, "SELECT version, change, changed_by, changed_at FROM exam_versions WHERE exam_id = ? "
                + "ORDER BY version", rs -> new ExamVersion(rs.getInt(1), rs.getString(2), rs.getString(3),
                rs.getLong(4)), id);
    }

    record ExamVersion(int version, String change, String changedBy, long changedAt) {}

    // ---------------------------------------------------------------- attempts and answers

    void insertAttempt(Connection c, Attempt a) throws SQLException {
        update(c, "INSERT INTO exam_attempts (id, exam_id, student_id, seed, started_at, deadline_at, "
                        + "submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)", a.id(), a.examId(), a.studentId(), a.seed(),
                a.startedAt(), a.deadlineAt(), a.submittedAt());
    }

    Optional<Attempt> attempt(Connection c, String id) throws SQLException {
        return Jdbc.one(c, ATTEMPT + "WHERE id = ?", ExamRepository::attempt, id);
    }

    Optional<Attempt> attemptOf(Connection c, String examId, String studentId) throws SQLException {
        return Jdbc.one(c, ATTEMPT + "WHERE exam_id = ? AND student_id = ?", ExamRepository::attempt, examId,
                studentId);
    }

    List<Attempt> attempts(Connection c, String examId) throws SQLException {
        return Jdbc.list(c, ATTEMPT + "WHERE exam_id = ? ORDER BY student_id", ExamRepository::attempt, examId);
    }

    /** Marks the attempt submitted unless it already is; false when it was. */
    boolean submit(Connection c, String attemptId, long at) throws SQLException {
        return update(c, "UPDATE exam_attempts SET submitted_at = ? WHERE id = ? AND submitted_at IS NULL", at,
                attemptId) == 1;
    }

    private static final String ATTEMPT = "SELECT id, exam_id, student_id, seed, started_at, deadline_at, submitted_at "
            + "FROM exam_attempts ";

    private static Attempt attempt(ResultSet rs) throws SQLException {
        return new Attempt(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5),
                rs.getLong(6), longOrNull(rs, 7));
    }

    void saveResponse(Connection c, String attemptId, String questionId, String response, long at)
            throws SQLException {
        int n = update(c, "UPDATE exam_answers SET response = ?, saved_at = ? WHERE attempt_id = ? "
                + "AND question_id = ?", response, at, attemptId, questionId);
        if (n == 0) {
            update(c, "INSERT INTO exam_answers (attempt_id, question_id, response, saved_at, grade_status) "
                    + "VALUES (?, ?, ?, ?, ?)", attemptId, questionId, response, at, Answer.PENDING);
        }
    }

    List<Answer> answers(Connection c, String attemptId) throws SQLException {
        return Jdbc.list(c, ANSWER + "WHERE attempt_id = ? ORDER BY question_id", ExamRepository::answer, attemptId);
    }

    Optional<Answer> answer(Connection c, String attemptId, String questionId) throws SQLException {
        return Jdbc.one(c, ANSWER + "WHERE attempt_id = ? AND question_id = ?", ExamRepository::answer, attemptId,
                questionId);
    }

    void autoGrade(Connection c, String attemptId, String questionId, double points) throws SQLException {
        update(c, "UPDATE exam_answers SET grade_status = ?, auto_points = ? WHERE attempt_id = ? "
                + "AND question_id = ?", Answer.AUTO, points, attemptId, questionId);
    }

    void modelGrade(Connection c, String attemptId, String questionId, String status, Double points, String grade)
            throws SQLException {
        update(c, "UPDATE exam_answers SET grade_status = ?, model_points = ?, model_grade = ? "
                + "WHERE attempt_id = ? AND question_id = ?", status, points, grade, attemptId, questionId);
    }

    void override(Connection c, String attemptId, String questionId, double points, String grade)
            throws SQLException {
        update(c, "UPDATE exam_answers SET grade_status = ?, lecturer_points = ?, lecturer_grade = ? "
                + "WHERE attempt_id = ? AND question_id = ?", Answer.OVERRIDDEN, points, grade, attemptId, questionId);
    }

    private static final String ANSWER = "SELECT attempt_id, question_id, response, saved_at, grade_status, "
            + "auto_points, model_points, model_grade, lecturer_points, lecturer_grade FROM exam_answers ";

    private static Answer answer(ResultSet rs) throws SQLException {
        return new Answer(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5),
                doubleOrNull(rs, 6), doubleOrNull(rs, 7), rs.getString(8), doubleOrNull(rs, 9), rs.getString(10));
    }

    /**
     * {@link Jdbc#update} binds null as VARCHAR, which PostgreSQL refuses for BIGINT and DOUBLE PRECISION columns;
     * here null is bound untyped, so the column's type decides.
     */
    private static int update(Connection c, String sql, Object... params) throws SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] == null) {
                    ps.setNull(i + 1, java.sql.Types.NULL);
                } else {
                    ps.setObject(i + 1, params[i]);
                }
            }
            return ps.executeUpdate();
        }
    }

    private static Long longOrNull(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? null : v;
    }

    private static Double doubleOrNull(ResultSet rs, int i) throws SQLException {
        double v = rs.getDouble(i);
        return rs.wasNull() ? null : v;
    }
}

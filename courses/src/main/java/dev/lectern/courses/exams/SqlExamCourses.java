package dev.lectern.courses.exams;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Interim {@link ExamCourses} over two tables of this package ({@code exam_course_members},
 * {@code exam_course_passages}, migration V39) until the courses service of issue #24 implements the port. An admin
 * may teach every course. {@link #addMember} and {@link #addPassage} fill the tables.
 */
public final class SqlExamCourses implements ExamCourses {
    public static final String TEACHER = "teacher";
    public static final String STUDENT = "student";

    private final SqlDatabase db;

    public SqlExamCourses(SqlDatabase db) {
        this.db = db;
    }

    public void addMember(String courseId, String userId, String role) {
        db.transaction(c -> {
            Jdbc.update(c, "DELETE FROM exam_course_members WHERE course_id = ? AND user_id = ?", courseId, userId);
            return Jdbc.update(c, "INSERT INTO exam_course_members (course_id, user_id, role) VALUES (?, ?, ?)",
                    courseId, userId, role);
        });
    }

    public void addPassage(String courseId, Passage p) {
        db.transaction(c -> {
            long position = Jdbc.count(c, "SELECT COUNT(*) FROM exam_course_passages WHERE course_id = ?", courseId);
            return Jdbc.update(c, "INSERT INTO exam_course_passages (id, course_id, source_id, title, position, text) "
                    + "VALUES (?, ?, ?, ?, ?, ?)", p.id(), courseId, p.sourceId(), p.title(), (int) position, p.text());
        });
    }

    @Override
    public boolean mayTeach(Principal caller, String courseId) {
        return caller.isAdmin() || TEACHER.equals(role(caller.userId(), courseId));
    }

    @Override
    public boolean mayTake(Principal caller, String courseId) {
        return caller.role() != Role.ADMIN && STUDENT.equals(role(caller.userId(), courseId));
    }

    private String role(String userId, String courseId) {
        return db.query(c -> Jdbc.one(c, "SELECT role FROM exam_course_members WHERE course_id = ? AND user_id = ?",
                rs -> rs.getString(1), courseId, userId).orElse(null));
    }

    @Override
    public List<Passage> passages(String courseId, List<String> sourceIds, int limit) {
        return db.query(c -> {
            List<Passage> all = Jdbc.list(c, "SELECT id, source_id, title, text FROM exam_course_passages "
                    + "WHERE course_id = ? ORDER BY position", SqlExamCourses::passage, courseId);
            List<Passage> out = new ArrayList<>();
            for (Passage p : all) {
                if ((sourceIds.isEmpty() || sourceIds.contains(p.sourceId())) && out.size() < limit) {
                    out.add(p);
                }
            }
            return out;
        });
    }

    @Override
    public Optional<Passage> passage(String courseId, String passageId) {
        return db.query(c -> Jdbc.one(c, "SELECT id, source_id, title, text FROM exam_course_passages "
                + "WHERE course_id = ? AND id = ?", SqlExamCourses::passage, courseId, passageId));
    }

    private static Passage passage(java.sql.ResultSet rs) throws SQLException {
        return new Passage(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4));
    }

}

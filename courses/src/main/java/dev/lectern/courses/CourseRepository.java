package dev.lectern.courses;

import dev.lectern.ai.retrieval.Passages;
import dev.lectern.core.store.sql.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The SQL of regions, groups, courses, materials, lectures and transcripts (both dialects). Access is the services'. */
final class CourseRepository {
    private static final String COURSE = "id, title, code, description, term, language, created_by, created_at, "
            + "updated_at";
    private static final String MATERIAL = "id, course_id, lecture_id, filename, file_type, object_key, size, status, "
            + "error, passages, created_by, created_at";
    private static final String LECTURE = "id, course_id, position, title, lecture_date, description, recording_key, "
            + "recording_type, recording_size, duration_ms, transcript_status, transcript_reason, transcript_job_id, "
            + "summary, key_points, notes_status, created_at, updated_at";

    /** A row of the accounts' users table, as the organisation shows it. */
    record UserRow(String id, String email, String name, String role) {}

    // ---------------------------------------------------------------- organisation

    void insertRegion(Connection c, Region r) throws SQLException {
        Jdbc.update(c, "INSERT INTO regions (id, name, created_at) VALUES (?, ?, ?)", r.id(), r.name(), r.createdAt());
    }

    List<Region> regions(Connection c) throws SQLException {
        return Jdbc.list(c, "SELECT id, name, created_at FROM regions ORDER BY name, id",
                rs -> new Region(rs.getString(1), rs.getString(2), rs.getLong(3)));
    }

    Optional<Region> region(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT id, name, created_at FROM regions WHERE id = ?",
                rs -> new Region(rs.getString(1), rs.getString(2), rs.getLong(3)), id);
    }

    void insertGroup(Connection c, Group g) throws SQLException {
        Jdbc.update(c, "INSERT INTO org_groups (id, region_id, name, created_at) VALUES (?, ?, ?, ?)", g.id(),
                g.regionId(), g.name(), g.createdAt());
    }

    List<Group> groups(Connection c) throws SQLException {
        return Jdbc.list(c, "SELECT id, region_id, name, created_at FROM org_groups ORDER BY name, id",
                CourseRepository::group);
    }

    Optional<Group> group(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT id, region_id, name, created_at FROM org_groups WHERE id = ?",
                CourseRepository::group, id);
    }

    void setUserGroup(Connection c, String userId, String groupId) throws SQLException {
        Jdbc.update(c, "DELETE FROM user_groups WHERE user_id = ?", userId);
        if (groupId != null) {
            Jdbc.update(c, "INSERT INTO user_groups (user_id, group_id) VALUES (?, ?)", userId, groupId);
        }
    }

    Optional<String> groupOf(Connection c, String userId) throws SQLException {
        return Jdbc.one(c, "SELECT group_id FROM user_groups WHERE user_id = ?", rs -> rs.getString(1), userId);
    }

    Optional<UserRow> user(Connection c, String userId) throws SQLException {
        Long id = numericId(userId);
        if (id == null) {
            return Optional.empty();
        }
        return Jdbc.one(c, "SELECT id, email, display_name, role FROM users WHERE id = ?", CourseRepository::userRow,
                id);
    }

    List<UserRow> users(Connection c, String groupIdOrNull, int limit, int offset) throws SQLException {
        if (groupIdOrNull == null) {
            return Jdbc.list(c, "SELECT id, email, display_name, role FROM users ORDER BY id LIMIT ? OFFSET ?",
                    CourseRepository::userRow, limit, offset);
        }
        // user_groups.user_id is text: compare as text so that both dialects agree
        List<UserRow> out = new ArrayList<>();
        for (String id : Jdbc.list(c, "SELECT user_id FROM user_groups WHERE group_id = ? ORDER BY user_id",
                rs -> rs.getString(1), groupIdOrNull)) {
            user(c, id).ifPresent(out::add);
        }
        return out.subList(Math.min(offset, out.size()), Math.min(out.size(), offset + limit));
    }

    boolean setRole(Connection c, String userId, String role, long now) throws SQLException {
        Long id = numericId(userId);
        return id != null && Jdbc.update(c, "UPDATE users SET role = ?, updated_at = ? WHERE id = ?", role, now, id)
                > 0;
    }

    // ---------------------------------------------------------------- courses

    void insertCourse(Connection c, Course k) throws SQLException {
        Jdbc.update(c, "INSERT INTO courses (" + COURSE + ", index_generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                k.id(), k.title(), k.code(), k.description(), k.term(), k.language(), k.createdBy(), k.createdAt(),
                k.updatedAt());
        Jdbc.update(c, "INSERT INTO course_lecturers (course_id, user_id) VALUES (?, ?)", k.id(), k.createdBy());
    }

    Optional<Course> course(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT " + COURSE + " FROM courses WHERE id = ?", CourseRepository::course, id);
    }

    /** Every course (admins), or those the user teaches, is enrolled in, or whose groups include theirs. */
    List<Course> visibleCourses(Connection c, String userIdOrNull, String groupId, int limit, int offset)
            throws SQLException {
        if (userIdOrNull == null) {
            return Jdbc.list(c, "SELECT " + COURSE + " FROM courses ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                    CourseRepository::course, limit, offset);
        }
        return Jdbc.list(c, "SELECT " + COURSE + " FROM courses WHERE " + VISIBLE
                + " ORDER BY created_at DESC, id LIMIT ? OFFSET ?", CourseRepository::course, userIdOrNull,
                userIdOrNull, groupId == null ? "" : groupId, limit, offset);
    }

    long countVisible(Connection c, String userIdOrNull, String groupId) throws SQLException {
        if (userIdOrNull == null) {
            return Jdbc.count(c, "SELECT COUNT(*) FROM courses");
        }
        return Jdbc.count(c, "SELECT COUNT(*) FROM courses WHERE " + VISIBLE, userIdOrNull, userIdOrNull,
                groupId == null ? "" : groupId);
    }

    private static final String VISIBLE = "(id IN (SELECT course_id FROM course_lecturers WHERE user_id = ?) "
            + "OR id IN (SELECT course_id FROM course_enrolments WHERE user_id = ?) "
            + "OR id IN (SELECT course_id FROM course_groups WHERE group_id = ?))";

    void updateCourse(Connection c, Course k) throws SQLException {
        Jdbc.update(c, "UPDATE courses SET title = ?, code = ?, description = ?, term = ?, language = ?, "
                + "updated_at = ? WHERE id = ?", k.title(), k.code(), k.description(), k.term(), k.language(),
                k.updatedAt(), k.id());
    }

    void deleteCourse(Connection c, String id) throws SQLException {
        // explicit, so it does not depend on the dialect enforcing ON DELETE CASCADE
        Jdbc.update(c, "DELETE FROM transcript_segments WHERE lecture_id IN (SELECT id FROM lectures WHERE "
                + "course_id = ?)", id);
        Jdbc.update(c, "DELETE FROM lectures WHERE course_id = ?", id);
        Jdbc.update(c, "DELETE FROM course_materials WHERE course_id = ?", id);
        Jdbc.update(c, "DELETE FROM course_enrolments WHERE course_id = ?", id);
        Jdbc.update(c, "DELETE FROM course_groups WHERE course_id = ?", id);
        Jdbc.update(c, "DELETE FROM course_lecturers WHERE course_id = ?", id);
        Jdbc.update(c, "DELETE FROM courses WHERE id = ?", id);
    }

    boolean isLecturer(Connection c, String courseId, String userId) throws SQLException {
        return Jdbc.count(c, "SELECT COUNT(*) FROM course_lecturers WHERE course_id = ? AND user_id = ?", courseId,
                userId) > 0;
    }

    boolean isStudent(Connection c, String courseId, String userId) throws SQLException {
        return Jdbc.count(c, "SELECT COUNT(*) FROM course_enrolments WHERE course_id = ? AND user_id = ?", courseId,
                userId) > 0
                || Jdbc.count(c, "SELECT COUNT(*) FROM course_groups g JOIN user_groups u ON u.group_id = g.group_id "
                + "WHERE g.course_id = ? AND u.user_id = ?", courseId, userId) > 0;
    }

    List<String> lecturers(Connection c, String courseId) throws SQLException {
        return Jdbc.list(c, "SELECT user_id FROM course_lecturers WHERE course_id = ? ORDER BY user_id",
                rs -> rs.getString(1), courseId);
    }

    void addLecturer(Connection c, String courseId, String userId) throws SQLException {
        if (!isLecturer(c, courseId, userId)) {
            Jdbc.update(c, "INSERT INTO course_lecturers (course_id, user_id) VALUES (?, ?)", courseId, userId);
        }
    }

    int removeLecturer(Connection c, String courseId, String userId) throws SQLException {
        return Jdbc.update(c, "DELETE FROM course_lecturers WHERE course_id = ? AND user_id = ?", courseId, userId);
    }

    List<String> sharedGroups(Connection c, String courseId) throws SQLException {
        return Jdbc.list(c, "SELECT group_id FROM course_groups WHERE course_id = ? ORDER BY group_id",
                rs -> rs.getString(1), courseId);
    }

    void share(Connection c, String courseId, String groupId) throws SQLException {
        if (Jdbc.count(c, "SELECT COUNT(*) FROM course_groups WHERE course_id = ? AND group_id = ?", courseId,
                groupId) == 0) {
            Jdbc.update(c, "INSERT INTO course_groups (course_id, group_id) VALUES (?, ?)", courseId, groupId);
        }
    }

    int unshare(Connection c, String courseId, String groupId) throws SQLException {
        return Jdbc.update(c, "DELETE FROM course_groups WHERE course_id = ? AND group_id = ?", courseId, groupId);
    }

    List<String> enrolled(Connection c, String courseId) throws SQLException {
        return Jdbc.list(c, "SELECT user_id FROM course_enrolments WHERE course_id = ? ORDER BY user_id",
                rs -> rs.getString(1), courseId);
    }

    void enrol(Connection c, String courseId, String userId, long now) throws SQLException {
        if (Jdbc.count(c, "SELECT COUNT(*) FROM course_enrolments WHERE course_id = ? AND user_id = ?", courseId,
                userId) == 0) {
            Jdbc.update(c, "INSERT INTO course_enrolments (course_id, user_id, created_at) VALUES (?, ?, ?)",
                    courseId, userId, now);
        }
    }

    int unenrol(Connection c, String courseId, String userId) throws SQLException {
        return Jdbc.update(c, "DELETE FROM course_enrolments WHERE course_id = ? AND user_id = ?", courseId, userId);
    }

    /** Raises the course's index generation (in the transaction that changes what the index must hold). */
    long bumpGeneration(Connection c, String courseId) throws SQLException {
        Jdbc.update(c, "UPDATE courses SET index_generation = index_generation + 1 WHERE id = ?", courseId);
        return generation(c, courseId);
    }

    long generation(Connection c, String courseId) throws SQLException {
        return Jdbc.one(c, "SELECT index_generation FROM courses WHERE id = ?", rs -> rs.getLong(1), courseId)
                .orElse(0L);
    }

    // ---------------------------------------------------------------- materials

    void insertMaterial(Connection c, Material m) throws SQLException {
        Jdbc.update(c, "INSERT INTO course_materials (" + MATERIAL + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                m.id(), m.courseId(), m.lectureId(), m.filename(), m.fileType(), m.objectKey(), m.size(), m.status(),
                m.error(), m.passages(), m.createdBy(), m.createdAt());
    }

    List<Material> materials(Connection c, String courseId) throws SQLException {
        return Jdbc.list(c, "SELECT " + MATERIAL + " FROM course_materials WHERE course_id = ? ORDER BY created_at, id",
                CourseRepository::material, courseId);
    }

    Optional<Material> material(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT " + MATERIAL + " FROM course_materials WHERE id = ?", CourseRepository::material,
                id);
    }

    /** Stores a material's passages as extracted (none stored yet: a concurrent backfill's rows are kept). */
    void insertPassages(Connection c, String materialId, List<Passages.Chunk> chunks) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO course_material_passages (material_id, seq, page, "
                + "text) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            for (int i = 0; i < chunks.size(); i++) { // one batch: a 20 KB document is some 30 rows
                ps.setString(1, materialId);
                ps.setInt(2, i);
                ps.setInt(3, chunks.get(i).page());
                ps.setString(4, chunks.get(i).text());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    List<Passages.Chunk> passages(Connection c, String materialId) throws SQLException {
        return Jdbc.list(c, "SELECT page, text FROM course_material_passages WHERE material_id = ? ORDER BY seq",
                rs -> new Passages.Chunk(rs.getInt(1), rs.getString(2)), materialId);
    }

    void deleteMaterial(Connection c, String id) throws SQLException {
        Jdbc.update(c, "DELETE FROM course_materials WHERE id = ?", id);
    }

    // ---------------------------------------------------------------- lectures

    void insertLecture(Connection c, Lecture l) throws SQLException {
        Jdbc.update(c, "INSERT INTO lectures (" + LECTURE + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                + "?, ?, ?)", l.id(), l.courseId(), l.position(), l.title(), l.date(), l.description(),
                l.recordingKey(), l.recordingType(), l.recordingSize(), l.durationMs(), l.transcriptStatus(),
                l.transcriptReason(), l.transcriptJobId(), l.summary(), l.keyPoints(), l.notesStatus(),
                l.createdAt(), l.updatedAt());
    }

    List<Lecture> lectures(Connection c, String courseId) throws SQLException {
        return Jdbc.list(c, "SELECT " + LECTURE + " FROM lectures WHERE course_id = ? ORDER BY position, id",
                CourseRepository::lecture, courseId);
    }

    Optional<Lecture> lecture(Connection c, String id) throws SQLException {
        return Jdbc.one(c, "SELECT " + LECTURE + " FROM lectures WHERE id = ?", CourseRepository::lecture, id);
    }

    int nextPosition(Connection c, String courseId) throws SQLException {
        return (int) Jdbc.count(c, "SELECT COALESCE(MAX(position) + 1, 0) FROM lectures WHERE course_id = ?",
                courseId);
    }

    void updateLecture(Connection c, String id, String title, String date, String description, long now)
            throws SQLException {
        Jdbc.update(c, "UPDATE lectures SET title = ?, lecture_date = ?, description = ?, updated_at = ? WHERE id = ?",
                title, date, description, now, id);
    }

    void setPosition(Connection c, String id, int position) throws SQLException {
        Jdbc.update(c, "UPDATE lectures SET position = ? WHERE id = ?", position, id);
    }

    void deleteLecture(Connection c, String id) throws SQLException {
        Jdbc.update(c, "DELETE FROM transcript_segments WHERE lecture_id = ?", id);
        Jdbc.update(c, "UPDATE course_materials SET lecture_id = NULL WHERE lecture_id = ?", id);
        Jdbc.update(c, "DELETE FROM lectures WHERE id = ?", id);
    }

    void setRecording(Connection c, String id, String key, String type, long size, long durationMs, String status,
                      String reason, String jobId, long now) throws SQLException {
        Jdbc.update(c, "UPDATE lectures SET recording_key = ?, recording_type = ?, recording_size = ?, duration_ms = ?, "
                + "transcript_status = ?, transcript_reason = ?, transcript_job_id = ?, updated_at = ? WHERE id = ?",
                key, type, size, durationMs, status, reason, jobId, now, id);
    }

    void setTranscriptStatus(Connection c, String id, String status, String reason, long now) throws SQLException {
        Jdbc.update(c, "UPDATE lectures SET transcript_status = ?, transcript_reason = ?, updated_at = ? WHERE id = ?",
                status, reason, now, id);
    }

    void setNotes(Connection c, String id, String summary, String keyPoints, String status, long now)
            throws SQLException {
        Jdbc.update(c, "UPDATE lectures SET summary = ?, key_points = ?, notes_status = ?, updated_at = ? WHERE id = ?",
                summary, keyPoints, status, now, id);
    }

    void setNotesStatus(Connection c, String id, String status, long now) throws SQLException {
        Jdbc.update(c, "UPDATE lectures SET notes_status = ?, updated_at = ? WHERE id = ?", status, now, id);
    }

    // ---------------------------------------------------------------- transcripts

    void replaceSegments(Connection c, String lectureId, List<TranscriptSegment> segments) throws SQLException {
        Jdbc.update(c, "DELETE FROM transcript_segments WHERE lecture_id = ?", lectureId);
        for (TranscriptSegment s : segments) {
            Jdbc.update(c, "INSERT INTO transcript_segments (lecture_id, seq, start_ms, end_ms, text, corrected) "
                    + "VALUES (?, ?, ?, ?, ?, ?)", lectureId, s.seq(), s.startMs(), s.endMs(), s.text(), s.corrected());
        }
    }

    List<TranscriptSegment> segments(Connection c, String lectureId) throws SQLException {
        return Jdbc.list(c, "SELECT seq, start_ms, end_ms, text, corrected FROM transcript_segments WHERE "
                + "lecture_id = ? ORDER BY seq", rs -> new TranscriptSegment(rs.getInt(1), rs.getLong(2),
                rs.getLong(3), rs.getString(4), rs.getInt(5) != 0), lectureId);
    }

    /** Every segment's {@code [start, end]} ms of a lecture, by seq (no text: the search's lookup). */
    Map<Integer, long[]> allSegmentTimes(Connection c, String lectureId) throws SQLException {
        Map<Integer, long[]> out = new HashMap<>();
        for (long[] t : Jdbc.list(c, "SELECT seq, start_ms, end_ms FROM transcript_segments WHERE lecture_id = ?",
                rs -> new long[] {rs.getInt(1), rs.getLong(2), rs.getLong(3)}, lectureId)) {
            out.put((int) t[0], new long[] {t[1], t[2]});
        }
        return out;
    }

    boolean correctSegment(Connection c, String lectureId, int seq, String text) throws SQLException {
        return Jdbc.update(c, "UPDATE transcript_segments SET text = ?, corrected = 1 WHERE lecture_id = ? AND seq = ?",
                text, lectureId, seq) > 0;
    }

    // ---------------------------------------------------------------- mapping

    private static Long numericId(String userId) {
        try {
            return Long.valueOf(userId);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static UserRow userRow(ResultSet rs) throws SQLException {
        return new UserRow(Long.toString(rs.getLong(1)), rs.getString(2), rs.getString(3), rs.getString(4));
    }

    private static Group group(ResultSet rs) throws SQLException {
        return new Group(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4));
    }

    private static Course course(ResultSet rs) throws SQLException {
        return new Course(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getLong(8), rs.getLong(9));
    }

    private static Material material(ResultSet rs) throws SQLException {
        return new Material(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getLong(7), rs.getString(8), rs.getString(9), rs.getInt(10), rs.getString(11),
                rs.getLong(12));
    }

    private static Lecture lecture(ResultSet rs) throws SQLException {
        return new Lecture(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getLong(9), rs.getLong(10), rs.getString(11),
                rs.getString(12), rs.getString(13), rs.getString(14), rs.getString(15), rs.getString(16),
                rs.getLong(17), rs.getLong(18));
    }
}

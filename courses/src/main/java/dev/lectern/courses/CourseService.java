package dev.lectern.courses;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * Courses: created by lecturers (and admins), shared with groups, with students enrolled explicitly or through a
 * shared group, and co-lecturers. Every list holds only what the caller may see and every other course is "not
 * found", never a hint that it exists. Every method blocks on the database.
 *
 * <p>The course-access API other features build on (exams): {@link #access} says what a user may do with a course,
 * {@link #requireTake} / {@link #requireTeach} enforce it (404 for a course the user may not see, 403 for a student
 * asking to teach), and {@link #search} finds a course's passages (materials and lecture transcripts) for a question.
 */
public final class CourseService {
    private static final int MAX_TITLE = 200;
    private static final int MAX_TEXT = 20_000;
    private final SqlDatabase db;
    private final CourseIndex index;
    private final CourseRepository repo = new CourseRepository();

    /** @param index the course passage index ({@link #search}); may be null where no search is needed */
    public CourseService(SqlDatabase db, CourseIndex index) {
        this.db = db;
        this.index = index;
    }

    // ---------------------------------------------------------------- the access API

    /** What {@code caller} may do with the course: {@link CourseAccess#NONE} when it does not exist for them. */
    public CourseAccess access(Principal caller, String courseId) {
        return db.query(c -> access(c, caller, courseId));
    }

    /** The course, if the caller may take it (enrolled, shared group, lecturer, admin); else 404. */
    public Course requireTake(Principal caller, String courseId) {
        return db.query(c -> take(c, caller, courseId));
    }

    /** The course, if the caller may teach it (its lecturers, admins); 404 when they cannot see it, else 403. */
    public Course requireTeach(Principal caller, String courseId) {
        return db.query(c -> teach(c, caller, courseId));
    }

    /**
     * The course's passages (materials and lecture transcripts) most relevant to {@code question}, best first, at most
     * {@code limit}; only for a caller who may take the course (else 404). Empty when none is relevant enough.
     */
    public List<CoursePassage> search(Principal caller, String courseId, String question, int limit) {
        requireTake(caller, courseId);
        return index.search(courseId, question, limit);
    }

    // ---------------------------------------------------------------- courses

    /** The fields of a course as a lecturer writes them (null keeps a field when updating). */
    public record CourseFields(String title, String code, String description, String term, String language) {}

    public Course create(Principal caller, CourseFields f) {
        if (!caller.has(Role.TUTOR)) {
            throw ServiceException.forbidden("only lecturers and administrators create courses");
        }
        long now = System.currentTimeMillis();
        Course k = new Course(Ids.newId(), Ids.required(f.title(), "title", MAX_TITLE),
                Ids.optional(f.code(), "code", 40), Ids.optional(f.description(), "description", MAX_TEXT),
                Ids.optional(f.term(), "term", 40), language(f.language()), caller.userId(), now, now);
        db.transaction(c -> {
            repo.insertCourse(c, k);
            return null;
        });
        return k;
    }

    public Course update(Principal caller, String courseId, CourseFields f) {
        return db.transaction(c -> {
            Course k = teach(c, caller, courseId);
            Course u = new Course(k.id(),
                    f.title() == null ? k.title() : Ids.required(f.title(), "title", MAX_TITLE),
                    f.code() == null ? k.code() : Ids.optional(f.code(), "code", 40),
                    f.description() == null ? k.description() : Ids.optional(f.description(), "description", MAX_TEXT),
                    f.term() == null ? k.term() : Ids.optional(f.term(), "term", 40),
                    f.language() == null ? k.language() : language(f.language()),
                    k.createdBy(), k.createdAt(), System.currentTimeMillis());
            repo.updateCourse(c, u);
            return u;
        });
    }

    /** Deletes a course with its lectures, transcripts and material records (its objects stay until purged). */
    public void delete(Principal caller, String courseId) {
        db.transaction(c -> {
            teach(c, caller, courseId);
            repo.deleteCourse(c, courseId);
            return null;
        });
    }

    /** The courses the caller may see, newest first. */
    public List<Course> list(Principal caller, int limit, int offset) {
        return db.query(c -> caller.isAdmin() ? repo.visibleCourses(c, null, null, limit, offset)
                : repo.visibleCourses(c, caller.userId(), repo.groupOf(c, caller.userId()).orElse(null), limit,
                        offset));
    }

    public long count(Principal caller) {
        return db.query(c -> caller.isAdmin() ? repo.countVisible(c, null, null)
                : repo.countVisible(c, caller.userId(), repo.groupOf(c, caller.userId()).orElse(null)));
    }

    /** Who is in the course: lecturers, shared groups, explicitly enrolled students (for those who may take it). */
    public Map<String, List<String>> members(Principal caller, String courseId) {
        return db.query(c -> {
            CourseAccess a = access(c, caller, courseId);
            if (!a.mayTake()) {
                throw ServiceException.notFound("no such course");
            }
            return Map.of("lecturers", repo.lecturers(c, courseId), "groups", repo.sharedGroups(c, courseId),
                    "students", a.mayTeach() ? repo.enrolled(c, courseId) : List.of());
        });
    }

    public void addLecturer(Principal caller, String courseId, String userId) {
        db.transaction(c -> {
            teach(c, caller, courseId);
            CourseRepository.UserRow u = repo.user(c, userId)
                    .orElseThrow(() -> ServiceException.notFound("no such user"));
            if (Role.parse(u.role()).map(r -> r.rank() < Role.TUTOR.rank()).orElse(true)) {
                throw ServiceException.badRequest("a co-lecturer must have the lecturer or admin role");
            }
            repo.addLecturer(c, courseId, userId);
            return null;
        });
    }

    public void removeLecturer(Principal caller, String courseId, String userId) {
        db.transaction(c -> {
            teach(c, caller, courseId);
            if (repo.lecturers(c, courseId).equals(List.of(userId))) {
                throw ServiceException.conflict("a course keeps at least one lecturer");
            }
            if (repo.removeLecturer(c, courseId, userId) == 0) {
                throw ServiceException.notFound("not a lecturer of this course");
            }
            return null;
        });
    }

    public void share(Principal caller, String courseId, String groupId) {
        db.transaction(c -> {
            teach(c, caller, courseId);
            repo.group(c, groupId).orElseThrow(() -> ServiceException.notFound("no such group"));
            repo.share(c, courseId, groupId);
            return null;
        });
    }

    public void unshare(Principal caller, String courseId, String groupId) {
        db.transaction(c -> {
            teach(c, caller, courseId);
            if (repo.unshare(c, courseId, groupId) == 0) {
                throw ServiceException.notFound("the course is not shared with this group");
            }
            return null;
        });
    }

    public void enrol(Principal caller, String courseId, String userId) {
        db.transaction(c -> {
            teach(c, caller, courseId);
            repo.user(c, userId).orElseThrow(() -> ServiceException.notFound("no such user"));
            repo.enrol(c, courseId, userId, System.currentTimeMillis());
            return null;
        });
    }

    public void unenrol(Principal caller, String courseId, String userId) {
        db.transaction(c -> {
            teach(c, caller, courseId);
            if (repo.unenrol(c, courseId, userId) == 0) {
                throw ServiceException.notFound("not enrolled");
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- checks shared with the other services

    CourseAccess access(Connection c, Principal caller, String courseId) throws SQLException {
        if (courseId == null || repo.course(c, courseId).isEmpty()) {
            return CourseAccess.NONE;
        }
        if (caller.isAdmin()) {
            return CourseAccess.ADMIN;
        }
        if (repo.isLecturer(c, courseId, caller.userId())) {
            return CourseAccess.LECTURER;
        }
        return repo.isStudent(c, courseId, caller.userId()) ? CourseAccess.STUDENT : CourseAccess.NONE;
    }

    Course take(Connection c, Principal caller, String courseId) throws SQLException {
        if (!access(c, caller, courseId).mayTake()) {
            throw ServiceException.notFound("no such course");
        }
        return repo.course(c, courseId).orElseThrow();
    }

    Course teach(Connection c, Principal caller, String courseId) throws SQLException {
        CourseAccess a = access(c, caller, courseId);
        if (!a.mayTake()) {
            throw ServiceException.notFound("no such course");
        }
        if (!a.mayTeach()) {
            throw ServiceException.forbidden("only the course's lecturers may change it");
        }
        return repo.course(c, courseId).orElseThrow();
    }

    private static String language(String value) {
        String v = value == null || value.isBlank() ? "en" : value.strip();
        if (!v.matches("[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?")) {
            throw ServiceException.badRequest("language: a language tag such as en or de-CH");
        }
        return v;
    }
}

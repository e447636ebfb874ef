package dev.lectern.courses.exams;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.store.sql.SqlDatabase;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/** What the exams services share: the store, the repository, the courses port and the server clock. */
record ExamContext(SqlDatabase db, ExamRepository repo, ExamCourses courses, Clock clock) {
    ExamContext(SqlDatabase db, ExamCourses courses, Clock clock) {
        this(db, new ExamRepository(), courses, clock);
    }

    long now() {
        return clock.millis();
    }

    /** Not allowed to teach the course → 404, so nobody learns what other courses hold. */
    void requireTeacher(Principal caller, String courseId) {
        if (!courses.mayTeach(caller, courseId)) {
            throw ServiceException.notFound("course not found");
        }
    }

    static String newId() {
        return UUID.randomUUID().toString();
    }

    static ServiceException invalid(String what, List<String> errors) {
        return new ServiceException(400, "invalid_" + what, what + " is invalid: " + String.join("; ", errors));
    }

    static ServiceException conflict(String code, String message) {
        return new ServiceException(409, code, message);
    }
}

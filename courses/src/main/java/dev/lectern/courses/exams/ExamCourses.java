package dev.lectern.courses.exams;

import dev.lectern.core.auth.Principal;
import java.util.List;
import java.util.Optional;

/**
 * The port through which exams reach the courses feature: who may teach or take a course, and the course's own text
 * as citable passages. Exams only read through it; every method blocks (call it on a worker thread).
 *
 * <p>An implementation answers for courses it knows; an unknown course is simply one nobody may teach or take and
 * that has no passages.
 */
public interface ExamCourses {
    /** One citable piece of a course's text: a transcript segment or a material's chunk. */
    record Passage(String id, String sourceId, String title, String text) {}

    /** May this caller author questions, rubrics and exams in the course, and grade them? */
    boolean mayTeach(Principal caller, String courseId);

    /** May this caller take the course's published exams? */
    boolean mayTake(Principal caller, String courseId);

    /**
     * The course's passages from the given lectures / materials (all of the course's when {@code sourceIds} is empty),
     * in course order, at most {@code limit}.
     */
    List<Passage> passages(String courseId, List<String> sourceIds, int limit);

    /** One passage of the course by id, empty when it is not the course's. */
    Optional<Passage> passage(String courseId, String passageId);
}

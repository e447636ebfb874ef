package dev.lectern.courses;

/**
 * What a user may do with one course, strongest last. {@link #NONE}: the course does not exist for them (every
 * route answers 404). {@link #STUDENT}: enrolled explicitly or through a group the course is shared with.
 * {@link #LECTURER}: the course's creator or a co-lecturer. {@link #ADMIN}: an administrator, who may do anything.
 */
public enum CourseAccess {
    NONE,
    STUDENT,
    LECTURER,
    ADMIN;

    /** May see the course and take it: read its lectures, ask questions, sit its exams. */
    public boolean mayTake() {
        return this != NONE;
    }

    /** May change the course: lectures, materials, enrolment, transcripts, exams. */
    public boolean mayTeach() {
        return this == LECTURER || this == ADMIN;
    }
}

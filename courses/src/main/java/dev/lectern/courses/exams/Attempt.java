package dev.lectern.courses.exams;

/** A student's attempt at an exam; {@code seed} drives the shuffle, {@code deadlineAt} is the server-clock end. */
public record Attempt(String id, String examId, String studentId, long seed, long startedAt, long deadlineAt,
                      Long submittedAt) {
    public boolean submitted() {
        return submittedAt != null;
    }
}

package dev.lectern.courses.exams;

/** A question of a course's bank at its current (or a pinned) version. Status: draft, approved, retired. */
public record Question(String id, String courseId, String status, int version, QuestionContent content,
                       String createdBy, long createdAt, long updatedAt) {
    public static final String DRAFT = "draft";
    public static final String APPROVED = "approved";
    public static final String RETIRED = "retired";
}

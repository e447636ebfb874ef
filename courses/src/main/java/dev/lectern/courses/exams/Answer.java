package dev.lectern.courses.exams;

/**
 * One answer of an attempt with its grades (JSON texts): the response, the automatic points of objective questions,
 * the model's rubric grade, and the lecturer's override. Grade status: pending (not graded yet), auto, model,
 * failed (the model could not grade; the lecturer must), overridden.
 */
public record Answer(String attemptId, String questionId, String response, long savedAt, String gradeStatus,
                     Double autoPoints, Double modelPoints, String modelGrade, Double lecturerPoints,
                     String lecturerGrade) {
    public static final String PENDING = "pending";
    public static final String AUTO = "auto";
    public static final String MODEL = "model";
    public static final String FAILED = "failed";
    public static final String OVERRIDDEN = "overridden";

    /** The points that count: the lecturer's, else the model's or the automatic ones; null while ungraded. */
    public Double finalPoints() {
        if (lecturerPoints != null) {
            return lecturerPoints;
        }
        return modelPoints != null ? modelPoints : autoPoints;
    }
}

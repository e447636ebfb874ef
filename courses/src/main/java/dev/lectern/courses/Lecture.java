package dev.lectern.courses;

/**
 * A lecture of a course, at {@code position} (0-based) in the course's order. The recording's object key and type are
 * null until one is uploaded; {@code transcriptStatus} is one of the {@code T_*} constants.
 */
public record Lecture(String id, String courseId, int position, String title, String date, String description,
                      String recordingKey, String recordingType, long recordingSize, long durationMs,
                      String transcriptStatus, String transcriptReason, String transcriptJobId, String summary,
                      String keyPoints, String notesStatus, long createdAt, long updatedAt) {
    public static final String T_NONE = "none";
    public static final String T_QUEUED = "queued";
    public static final String T_TRANSCRIBING = "transcribing";
    public static final String T_TRANSCRIBED = "transcribed";
    public static final String T_FAILED = "failed";
    public static final String T_NOT_TRANSCRIBED = "not_transcribed";
}

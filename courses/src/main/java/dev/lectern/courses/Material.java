package dev.lectern.courses;

/** A course material: an uploaded document in the content bucket, optionally attached to a lecture. */
public record Material(String id, String courseId, String lectureId, String filename, String fileType,
                       String objectKey, long size, String status, String error, int passages, String createdBy,
                       long createdAt) {}

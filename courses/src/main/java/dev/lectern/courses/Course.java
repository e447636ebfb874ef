package dev.lectern.courses;

/** A course as stored; {@code createdBy} is its first lecturer. */
public record Course(String id, String title, String code, String description, String term, String language,
                     String createdBy, long createdAt, long updatedAt) {}

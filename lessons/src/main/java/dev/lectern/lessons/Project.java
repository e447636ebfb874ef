package dev.lectern.lessons;

/** A user's project: a subject their lesson videos are about. Times are epoch milliseconds. */
public record Project(String id, String ownerId, String title, String description, long createdAt, long updatedAt) {}

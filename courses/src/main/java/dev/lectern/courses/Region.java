package dev.lectern.courses;

/** A region of the organisation: holds groups. */
public record Region(String id, String name, long createdAt) {}

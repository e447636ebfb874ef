package dev.lectern.courses;

/** A group of users within one region; courses are shared with groups. */
public record Group(String id, String regionId, String name, long createdAt) {}

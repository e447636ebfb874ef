package dev.lectern.jobs;

/** The id of an enqueued job; {@code created} is false when an earlier job with the same idempotency key was found. */
public record Enqueued(String id, boolean created) {}

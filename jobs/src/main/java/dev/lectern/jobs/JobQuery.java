package dev.lectern.jobs;

/** A page of jobs, newest first, filtered by owner, state and kind (null = any). */
public record JobQuery(String owner, JobState state, String kind, int limit, int offset) {
    public JobQuery {
        if (limit < 1 || limit > 500) {
            throw new IllegalArgumentException("limit: 1-500");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative");
        }
    }
}

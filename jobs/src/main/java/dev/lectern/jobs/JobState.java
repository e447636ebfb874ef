package dev.lectern.jobs;

/** A job's state, with Celery's names. SUCCESS, FAILURE and REVOKED are final. */
public enum JobState {
    /** Queued, waiting for its {@code run_at}. */
    PENDING,
    /** Claimed by a worker, which holds its lease. */
    STARTED,
    /** A run failed (or its worker died); queued again after a backoff. */
    RETRY,
    SUCCESS,
    FAILURE,
    /** Cancelled before or while it ran. */
    REVOKED;

    public boolean isFinal() {
        return this == SUCCESS || this == FAILURE || this == REVOKED;
    }

    /** Parses a state name case-insensitively; empty for anything else (hostile input). */
    public static java.util.Optional<JobState> parse(String name) {
        if (name == null) {
            return java.util.Optional.empty();
        }
        for (JobState s : values()) {
            if (s.name().equalsIgnoreCase(name)) {
                return java.util.Optional.of(s);
            }
        }
        return java.util.Optional.empty();
    }
}

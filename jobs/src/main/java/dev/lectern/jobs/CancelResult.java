package dev.lectern.jobs;

/** What a cancel did. */
public enum CancelResult {
    /** The job had not started: it is REVOKED now. */
    REVOKED,
    /** The job is running: its worker was asked to stop and will end it as REVOKED (within one heartbeat). */
    CANCEL_REQUESTED,
    /** The job had already ended; nothing changed. */
    ALREADY_FINAL,
    NOT_FOUND
}

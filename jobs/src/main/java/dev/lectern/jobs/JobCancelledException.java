package dev.lectern.jobs;

/** Thrown by {@link JobContext#checkCancelled()} once the job is cancelled, timed out or its lease is lost. */
public final class JobCancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public JobCancelledException(String message) {
        super(message, null, false, false);
    }
}

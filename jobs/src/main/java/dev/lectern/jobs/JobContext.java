package dev.lectern.jobs;

import java.io.IOException;

/** What a running handler sees of its job. */
public interface JobContext {
    String jobId();

    String kind();

    /** The payload, JSON text. */
    String payload();

    String owner();

    /** This run's number, 1 for the first. */
    int attempt();

    /**
     * True once the job was cancelled, its run timed out, or this node lost its lease (the job then belongs to another
     * worker and nothing this run writes will count). Seen within one heartbeat of a cancel on any node.
     */
    boolean isCancelled();

    /** Throws {@link JobCancelledException} when {@link #isCancelled()}. */
    default void checkCancelled() {
        if (isCancelled()) {
            throw new JobCancelledException("job " + jobId() + " cancelled");
        }
    }

    /**
     * Records progress (percent 0-100, a short message, a partial result as JSON text or null) in the job row and
     * tells the job's watchers. Ignored once the lease is lost.
     */
    void progress(double percent, String message, String partialResultJson);

    /** Starts a child process that is destroyed (with its descendants) when the job is cancelled or its run ends. */
    Process start(ProcessBuilder builder) throws IOException;
}

package dev.lectern.jobs;

/**
 * What a kind does. Runs on a worker thread (it may block); returns the result as JSON text (null for none). Throwing
 * fails the run: it is retried with backoff while runs are left, unless the exception is a {@link PermanentJobFailure}.
 * A long handler checks {@link JobContext#isCancelled()} between steps and starts child processes through
 * {@link JobContext#start}, so a cancel or a lost lease stops them.
 */
@FunctionalInterface
public interface JobHandler {
    String handle(JobContext context) throws Exception;
}

package dev.lectern.jobs;

/**
 * One row of the job table as it was read. {@code payload}, {@code result} and {@code partialResult} are JSON text;
 * {@code progressPercent} is null until the handler reports progress. Times are epoch milliseconds, null when the
 * job has not got there.
 */
public record Job(
        String id,
        String kind,
        JobState state,
        int priority,
        long runAt,
        int attempts,
        int maxAttempts,
        String owner,
        String idempotencyKey,
        String payload,
        String result,
        String error,
        Double progressPercent,
        String progressMessage,
        String partialResult,
        String leaseOwner,
        Long leaseUntil,
        long leaseToken,
        boolean cancelRequested,
        long createdAt,
        long updatedAt,
        Long startedAt,
        Long finishedAt) {

    /** The same job after a state change written by this node. */
    Job finished(JobState newState, String newResult, String newError, long newRunAt, long now) {
        boolean done = newState.isFinal();
        return new Job(id, kind, newState, priority, newRunAt, attempts, maxAttempts, owner, idempotencyKey, payload,
                newResult, newError, done && newState == JobState.SUCCESS ? Double.valueOf(100) : progressPercent,
                progressMessage, partialResult, null, null, leaseToken, cancelRequested, createdAt, now, startedAt,
                done ? Long.valueOf(now) : null);
    }

    /** The same waiting job as a claim by that node writes it (STARTED, one more attempt, the next lease token). */
    Job claimed(String node, long leaseEnd, long now) {
        return new Job(id, kind, JobState.STARTED, priority, runAt, attempts + 1, maxAttempts, owner, idempotencyKey,
                payload, result, error, progressPercent, progressMessage, partialResult, node, leaseEnd, leaseToken + 1,
                cancelRequested, createdAt, now, now, finishedAt);
    }

    /** The same job with new progress. */
    Job withProgress(Double percent, String message, String partial, long now) {
        return new Job(id, kind, state, priority, runAt, attempts, maxAttempts, owner, idempotencyKey, payload, result,
                error, percent, message, partial, leaseOwner, leaseUntil, leaseToken, cancelRequested, createdAt, now,
                startedAt, finishedAt);
    }
}

package dev.lectern.jobs;

import java.util.Objects;

/**
 * What to enqueue: a kind (a registered handler), its payload as JSON text, and optionally who owns it, a priority
 * (higher runs first), when it may run at the earliest, an idempotency key (a second enqueue with the same key returns
 * the first job instead of queuing another), and a maximum number of runs (0 = the kind's).
 */
public record NewJob(String kind, String payload, String owner, int priority, long runAtMillis, String idempotencyKey,
                     int maxAttempts) {
    public NewJob {
        Objects.requireNonNull(kind, "kind");
        if (!kind.matches("[a-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("job kind: " + kind + " (expected [a-z0-9._-]{1,64})");
        }
        payload = payload == null ? "{}" : payload;
        if (owner != null && owner.length() > 64) {
            throw new IllegalArgumentException("job owner longer than 64 characters");
        }
        if (idempotencyKey != null && (idempotencyKey.isEmpty() || idempotencyKey.length() > 200)) {
            throw new IllegalArgumentException("idempotency key: 1-200 characters");
        }
        if (maxAttempts < 0) {
            throw new IllegalArgumentException("maxAttempts: " + maxAttempts);
        }
    }

    public static NewJob of(String kind, String payloadJson) {
        return new NewJob(kind, payloadJson, null, 0, 0, null, 0);
    }

    public NewJob owner(String newOwner) {
        return new NewJob(kind, payload, newOwner, priority, runAtMillis, idempotencyKey, maxAttempts);
    }

    public NewJob priority(int newPriority) {
        return new NewJob(kind, payload, owner, newPriority, runAtMillis, idempotencyKey, maxAttempts);
    }

    /** Not before this instant (epoch milliseconds); 0 = now. */
    public NewJob runAt(long epochMillis) {
        return new NewJob(kind, payload, owner, priority, epochMillis, idempotencyKey, maxAttempts);
    }

    public NewJob idempotencyKey(String key) {
        return new NewJob(kind, payload, owner, priority, runAtMillis, key, maxAttempts);
    }

    public NewJob maxAttempts(int attempts) {
        return new NewJob(kind, payload, owner, priority, runAtMillis, idempotencyKey, attempts);
    }
}

package dev.lectern.jobs;

/**
 * How a kind runs: runs per job (first included), how long one run may take, how many run at once on one node
 * (0 = no limit beyond the workers), and the base and cap of the exponential backoff between runs. A 0 in any field
 * takes {@code jobs.*} from the configuration; {@code jobs.kinds.<kind>} overrides what the kind registers.
 */
public record KindOptions(int maxAttempts, long timeoutMillis, int concurrency, long backoffBaseMillis,
                          long backoffMaxMillis) {
    public static final KindOptions DEFAULTS = new KindOptions(0, 0, 0, 0, 0);

    public KindOptions {
        if (maxAttempts < 0 || timeoutMillis < 0 || concurrency < 0 || backoffBaseMillis < 0 || backoffMaxMillis < 0) {
            throw new IllegalArgumentException("kind options must not be negative");
        }
    }

    public KindOptions withMaxAttempts(int n) {
        return new KindOptions(n, timeoutMillis, concurrency, backoffBaseMillis, backoffMaxMillis);
    }

    public KindOptions withTimeoutMillis(long millis) {
        return new KindOptions(maxAttempts, millis, concurrency, backoffBaseMillis, backoffMaxMillis);
    }

    public KindOptions withConcurrency(int n) {
        return new KindOptions(maxAttempts, timeoutMillis, n, backoffBaseMillis, backoffMaxMillis);
    }

    public KindOptions withBackoff(long baseMillis, long maxMillis) {
        return new KindOptions(maxAttempts, timeoutMillis, concurrency, baseMillis, maxMillis);
    }

    /** Fields of {@code over} that are set win over this one's. */
    KindOptions overriddenBy(KindOptions over) {
        return new KindOptions(pick(over.maxAttempts, maxAttempts), pick(over.timeoutMillis, timeoutMillis),
                pick(over.concurrency, concurrency), pick(over.backoffBaseMillis, backoffBaseMillis),
                pick(over.backoffMaxMillis, backoffMaxMillis));
    }

    private static int pick(int over, int base) {
        return over != 0 ? over : base;
    }

    private static long pick(long over, long base) {
        return over != 0 ? over : base;
    }
}

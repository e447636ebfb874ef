package dev.lectern.bench;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in 1 µs buckets up to 200 ms, then 1 ms buckets up to {@link #RANGE_MILLIS} (beyond counts as
 * overflow), recorded from any thread.
 */
final class LatencyHistogram {
    /** The fine buckets: one per microsecond below 200 ms. */
    static final int BUCKETS_MICROS = 200_000;
    /** The end of the coarse buckets (one per millisecond): latencies beyond it are overflow. */
    static final int RANGE_MILLIS = 10_000;
    private static final int FINE_MILLIS = BUCKETS_MICROS / 1000;
    private static final int OVERFLOW = BUCKETS_MICROS + RANGE_MILLIS - FINE_MILLIS;

    private final AtomicLongArray counts = new AtomicLongArray(OVERFLOW + 1);
    private final AtomicLong maxNanos = new AtomicLong();

    void record(long nanos) {
        long micros = Math.max(0, nanos / 1000);
        int i = micros < BUCKETS_MICROS ? (int) micros
                : (int) Math.min(OVERFLOW, BUCKETS_MICROS + micros / 1000 - FINE_MILLIS);
        counts.incrementAndGet(i);
        maxNanos.accumulateAndGet(nanos, Math::max);
    }

    void reset() {
        for (int i = 0; i < counts.length(); i++) {
            counts.set(i, 0);
        }
        maxNanos.set(0);
    }

    /** A copy of the counts, to read percentiles from. */
    Snapshot snapshot() {
        long[] c = new long[counts.length()];
        long total = 0;
        for (int i = 0; i < c.length; i++) {
            c[i] = counts.get(i);
            total += c[i];
        }
        return new Snapshot(c, total, maxNanos.get() / 1e6);
    }

    /** The lower bound of bucket {@code i} in milliseconds; the overflow bucket's is {@link #RANGE_MILLIS}. */
    private static double bucketMillis(int i) {
        return i < BUCKETS_MICROS ? i / 1000.0 : FINE_MILLIS + (i - BUCKETS_MICROS);
    }

    record Snapshot(long[] counts, long total, double maxMillis) {
        /** The quantile in milliseconds (NaN with no samples; the overflow bound when beyond it). */
        double millis(double q) {
            long rank = (long) Math.ceil(q * total);
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                seen += counts[i];
                if (seen >= rank && rank > 0) {
                    return bucketMillis(i);
                }
            }
            return Double.NaN;
        }

        String format(double q) {
            return LatencyHistogram.format(millis(q));
        }
    }

    static String format(double millis) {
        return millis >= RANGE_MILLIS ? ">" + RANGE_MILLIS + " ms" : String.format(Locale.ROOT, "%.3f ms", millis);
    }
}

package dev.lectern.bench;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Latencies in 1 µs buckets up to 200 ms (beyond counts as overflow), recorded from any thread. */
final class LatencyHistogram {
    static final int BUCKETS_MICROS = 200_000;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS_MICROS + 1);
    private final AtomicLong maxNanos = new AtomicLong();

    void record(long nanos) {
        counts.incrementAndGet((int) Math.min(BUCKETS_MICROS, Math.max(0, nanos / 1000)));
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

    record Snapshot(long[] counts, long total, double maxMillis) {
        /** The quantile in milliseconds (NaN with no samples; the overflow bound when beyond it). */
        double millis(double q) {
            long rank = (long) Math.ceil(q * total);
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                seen += counts[i];
                if (seen >= rank && rank > 0) {
                    return i / 1000.0;
                }
            }
            return Double.NaN;
        }

        String format(double q) {
            return LatencyHistogram.format(millis(q));
        }
    }

    static String format(double millis) {
        return millis >= BUCKETS_MICROS / 1000.0 ? ">" + BUCKETS_MICROS / 1000 + " ms"
                : String.format(Locale.ROOT, "%.3f ms", millis);
    }
}

package dev.lectern.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The slow messages of a measured window, to tell where a latency tail comes from: with {@code BENCH_TAIL_LOG=DIR},
 * every message slower than 1 ms is kept (up to a million per window) and written at the window's end to
 * {@code DIR/<target>-<rate>-<start>.tsv}, one per line: receive time in microseconds of {@code System.nanoTime()}
 * (Linux's {@code CLOCK_MONOTONIC}, the clock of {@code perf record -k CLOCK_MONOTONIC}), latency in microseconds,
 * receiving client's index. {@code bench/scripts/sched-waits.py --tail FILE} lines them up with the scheduler's record.
 * Without the variable it records nothing.
 */
final class TailLog {
    private static final long THRESHOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int LIMIT = 1_000_000;

    private final Path dir;
    private final long[] entries; // receive micros, latency micros, client: three per message
    private int size;
    private long startMicros;

    private TailLog(Path dir) {
        this.dir = dir;
        this.entries = dir == null ? new long[0] : new long[3 * LIMIT];
    }

    static TailLog fromEnvironment() {
        String dir = System.getenv("BENCH_TAIL_LOG");
        return new TailLog(dir == null || dir.isBlank() ? null : Path.of(dir));
    }

    synchronized void reset() {
        size = 0;
        startMicros = System.nanoTime() / 1000;
    }

    void record(long latencyNanos, int client) {
        if (dir == null || latencyNanos < THRESHOLD_NANOS) {
            return;
        }
        long now = System.nanoTime() / 1000;
        synchronized (this) {
            if (size < entries.length) {
                entries[size++] = now;
                entries[size++] = latencyNanos / 1000;
                entries[size++] = client;
            }
        }
    }

    synchronized void write(String name) {
        if (dir == null) {
            return;
        }
        StringBuilder out = new StringBuilder(size * 8);
        for (int i = 0; i < size; i += 3) {
            out.append(entries[i]).append('\t').append(entries[i + 1]).append('\t').append(entries[i + 2]).append('\n');
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + "-" + startMicros + ".tsv"), out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

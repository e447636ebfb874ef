package dev.lectern.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleFunction;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The same relay load against Lectern and a peer in one run: short measured windows, alternating between the targets
 * in a rotating order each round, so that drift in a shared machine's load hits them alike. Every target's clients
 * stay connected throughout (the idle ones only answer heartbeats); each window starts its target's senders afresh,
 * lets them settle, measures and stops them. Printed per window, per round as the ratios Lectern/peer, and per rate
 * as the median and the spread (lowest to highest) of every figure and ratio over the rounds. With more than two
 * targets (Lectern variants, see {@link Variant}) the ratios are those of every pair, the earlier target first.
 */
final class PeerComparison {
    static final int SETTLE_SECONDS = 2;

    /** A target under test with the clients that load it. */
    record Side(RelayTarget target, RelayLoad load) {
        String name() {
            return target.name();
        }
    }

    private final List<Side> sides;
    private final LongSupplier redisCpuMicros;

    /** {@code redisCpuMicros}: Redis's CPU time so far in microseconds, or null when Redis is not part of the run. */
    PeerComparison(List<Side> sides, LongSupplier redisCpuMicros) {
        this.sides = sides;
        this.redisCpuMicros = redisCpuMicros;
    }

    /**
     * Warms every target up at the first rate for {@code warmupSeconds} (the JIT of Lectern and of the generator,
     * V8's optimiser), then measures {@code rounds} rounds of {@code seconds} per target at each total rate.
     */
    void run(List<Integer> rates, int rounds, int seconds, int warmupSeconds) throws InterruptedException {
        for (Side s : sides) {
            s.load().start(period(s, rates.get(0)));
            warmUp(s.name(), s.target(), warmupSeconds);
            s.load().stop();
            Thread.sleep(1000); // the last offers land
        }
        for (int rate : rates) {
            List<Map<String, RelayLoad.Window>> byRound = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                System.out.printf(Locale.ROOT, "%nround %d/%d at %d msg/s (load average %s)%n", r + 1, rounds, rate,
                        AvatarProxyBench.loadAverage());
                Map<String, RelayLoad.Window> round = new LinkedHashMap<>();
                for (int k = 0; k < sides.size(); k++) {
                    Side s = sides.get((k + r) % sides.size());
                    s.load().start(period(s, rate));
                    Thread.sleep(SETTLE_SECONDS * 1000L);
                    long jit = s.target().jitTicks();
                    RelayLoad.Window w = s.load().measure(seconds, s.target()::cpuTicks, redisCpuMicros);
                    jit = s.target().jitTicks() - jit;
                    s.load().stop();
                    Thread.sleep(500);
                    round.put(s.name(), w);
                    System.out.println(windowLine(s.name(), w, jitNote(jit, w, seconds)));
                }
                byRound.add(round);
                for (int a = 0; a < sides.size(); a++) {
                    for (Side b : sides.subList(a + 1, sides.size())) {
                        String first = sides.get(a).name();
                        System.out.println(ratioLine(first + "/" + b.name(), round.get(first), round.get(b.name())));
                    }
                }
            }
            summary(rate, byRound);
        }
        for (Side s : sides) {
            System.out.printf(Locale.ROOT, "%s: client-side failures %d%n", s.name(), s.load().failures());
        }
    }

    /**
     * Loads a target for {@code minSeconds}, then on until its JVMs' JIT has settled: a 2 s slice in which their
     * compiler threads used under 20 ms of CPU, or 4x the minimum. On a loaded two-core machine 15 s were not enough,
     * and the compiler threads' CPU in the measured window was up to 40% of what the nodes used.
     */
    static void warmUp(String name, RelayTarget target, int minSeconds) throws InterruptedException {
        long started = System.nanoTime();
        Thread.sleep(minSeconds * 1000L);
        long last = target.jitTicks();
        long sliceMillis;
        long maxNanos = TimeUnit.SECONDS.toNanos(4L * Math.max(minSeconds, 5));
        do {
            Thread.sleep(2000);
            long now = target.jitTicks();
            sliceMillis = (now - last) * 1000 / AvatarProxyBench.CLOCK_TICKS;
            last = now;
        } while (sliceMillis >= 20 && System.nanoTime() - started < maxNanos);
        System.out.printf(Locale.ROOT, "warm-up: %s %d s (JIT %d ms in the last 2 s slice)%n", name,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), sliceMillis);
    }

    private static long period(Side s, int totalRate) {
        return (long) (1e9 * s.load().clients() / totalRate);
    }

    private static String windowLine(String name, RelayLoad.Window w, String jitNote) {
        return String.format(Locale.ROOT, "  %-15s relayed %6.0f msg/s (%5.1f%%), p50 %s, p99 %s, p99.9 %s, max %.3f ms;"
                + " CPU %.1f us/msg%s%s", name, w.rate(), 100 * w.delivered(), LatencyHistogram.format(w.p50()),
                LatencyHistogram.format(w.p99()), LatencyHistogram.format(w.p999()), w.max(), w.cpuMicrosPerMessage(),
                jitNote,
                Double.isNaN(w.redisMicrosPerMessage()) ? ""
                        : String.format(Locale.ROOT, ", Redis %.1f us/msg", w.redisMicrosPerMessage()));
    }

    /** The JIT compiler threads' share of a JVM target's CPU per message in a window (nothing for Node.js). */
    static String jitNote(long jitTicks, RelayLoad.Window w, int seconds) {
        if (jitTicks <= 0) {
            return "";
        }
        return String.format(Locale.ROOT, " (of which JIT %.1f)",
                jitTicks * 1e6 / AvatarProxyBench.CLOCK_TICKS / Math.max(1, w.rate() * seconds));
    }

    private static String ratioLine(String label, RelayLoad.Window a, RelayLoad.Window b) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-28s p50 %s, p99 %s, CPU/msg %.2f",
                label, fmt(latencyRatio(a.p50(), b.p50())), fmt(latencyRatio(a.p99(), b.p99())),
                a.cpuMicrosPerMessage() / b.cpuMicrosPerMessage()));
        if (!Double.isNaN(a.redisMicrosPerMessage())) {
            sb.append(String.format(Locale.ROOT, ", with Redis's %.2f", withRedis(a) / withRedis(b)));
        }
        return sb.toString();
    }

    /** A ratio of two latencies, NaN (no ratio) when either is beyond the histogram's range (infinite). */
    private static double latencyRatio(double a, double b) {
        return Double.isInfinite(a) || Double.isInfinite(b) ? Double.NaN : a / b;
    }

    private static double withRedis(RelayLoad.Window w) {
        return w.cpuMicrosPerMessage() + w.redisMicrosPerMessage();
    }

    /** Medians and spreads over the rounds of one rate: each target's figures, then each ratio Lectern/peer. */
    private void summary(int rate, List<Map<String, RelayLoad.Window>> rounds) {
        System.out.printf(Locale.ROOT, "%nat %d msg/s, median of %d round(s) (lowest..highest):%n", rate, rounds.size());
        boolean redis = redisCpuMicros != null;
        for (Side s : sides) {
            Function<Function<RelayLoad.Window, Double>, String> f = get -> spread(rounds,
                    r -> get.apply(r.get(s.name())), PeerComparison::fmt);
            Function<Function<RelayLoad.Window, Double>, String> ms = get -> spread(rounds,
                    r -> get.apply(r.get(s.name())), PeerComparison::fmtMillis);
            System.out.printf(Locale.ROOT, "  %-15s delivered %s %%, p50 %s ms, p99 %s ms, p99.9 %s ms, CPU %s us/msg%s%n",
                    s.name(), f.apply(w -> 100 * w.delivered()), ms.apply(RelayLoad.Window::p50),
                    ms.apply(RelayLoad.Window::p99), ms.apply(RelayLoad.Window::p999),
                    f.apply(RelayLoad.Window::cpuMicrosPerMessage),
                    redis ? ", Redis " + f.apply(RelayLoad.Window::redisMicrosPerMessage) + " us/msg" : "");
        }
        for (int a = 0; a < sides.size(); a++) {
            for (Side peer : sides.subList(a + 1, sides.size())) {
                ratioSummary(sides.get(a).name(), peer, rounds, redis);
            }
        }
    }

    /** The ratios {@code lectern/peer} (any two targets, the first in the list first): median and spread. */
    private static void ratioSummary(String lectern, Side peer, List<Map<String, RelayLoad.Window>> rounds,
            boolean redis) {
        Function<Function<RelayLoad.Window, Double>, String> ratio = get -> spread(rounds,
                r -> get.apply(r.get(lectern)) / get.apply(r.get(peer.name())), PeerComparison::fmt);
        Function<Function<RelayLoad.Window, Double>, String> latency = get -> spread(rounds,
                r -> latencyRatio(get.apply(r.get(lectern)), get.apply(r.get(peer.name()))), PeerComparison::fmt);
        System.out.printf(Locale.ROOT, "  %-15s p50 %s, p99 %s, CPU/msg %s%s  (below 1: %s lower)%n",
                lectern + "/" + peer.name(), latency.apply(RelayLoad.Window::p50),
                latency.apply(RelayLoad.Window::p99), ratio.apply(RelayLoad.Window::cpuMicrosPerMessage),
                redis ? ", CPU/msg with Redis's " + ratio.apply(PeerComparison::withRedis) : "", lectern);
    }

    /**
     * "median (lowest..highest)" of a figure over the rounds; NaN values (a ratio of latencies beyond the histogram's
     * range) are left out and counted.
     */
    private static String spread(List<Map<String, RelayLoad.Window>> rounds,
            Function<Map<String, RelayLoad.Window>, Double> value, DoubleFunction<String> fmt) {
        List<Double> values = rounds.stream().map(value).filter(v -> !v.isNaN()).toList();
        if (values.isEmpty()) {
            return "n/a";
        }
        double min = values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double max = values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        String left = values.size() < rounds.size()
                ? String.format(Locale.ROOT, " [%d round(s) beyond %d ms]", rounds.size() - values.size(),
                        LatencyHistogram.RANGE_MILLIS) : "";
        return String.format(Locale.ROOT, "%s (%s..%s)%s", fmt.apply(median(values)), fmt.apply(min),
                fmt.apply(max), left);
    }

    private static String fmtMillis(double v) {
        return Double.isInfinite(v) ? ">" + LatencyHistogram.RANGE_MILLIS : fmt(v);
    }

    /** About three significant digits, no exponent; NaN as n/a. */
    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.3f", v);
    }

    /** The median (the mean of the middle two for an even count; NaN for none). */
    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}

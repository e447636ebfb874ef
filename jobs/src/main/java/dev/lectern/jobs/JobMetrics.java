package dev.lectern.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The engine's meters on {@code /metrics}: {@code lectern.jobs.depth} (jobs by kind and state, refreshed on the reaper's
 * beat), {@code lectern.jobs.pickup} (run_at to claim), {@code lectern.jobs.run} (handler time by kind and outcome),
 * {@code lectern.jobs.retries}, {@code lectern.jobs.failures} and {@code lectern.jobs.lease.lost}.
 */
final class JobMetrics {
    private final MeterRegistry registry;
    private final MultiGauge depth;
    // the per-job timers, found once per kind (and outcome): no builder, tags or id lookup on every job
    private final Map<String, Timer> pickup = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Timer>> runs = new ConcurrentHashMap<>();

    JobMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.depth = MultiGauge.builder("lectern.jobs.depth").description("Jobs in the table by kind and state")
                .register(registry);
    }

    void depth(Map<List<String>, Long> counts) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        counts.forEach((key, n) -> rows.add(MultiGauge.Row.of(Tags.of("kind", key.get(0), "state", key.get(1)), n)));
        depth.register(rows, true);
    }

    void pickedUp(String kind, long millis) {
        pickup.computeIfAbsent(kind, k -> Timer.builder("lectern.jobs.pickup")
                        .description("From when a job may run to when a worker claims it")
                        .tag("kind", k).publishPercentiles(0.5, 0.99).register(registry))
                .record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    void ran(String kind, String outcome, long nanos) {
        runs.computeIfAbsent(kind, k -> new ConcurrentHashMap<>()).computeIfAbsent(outcome, o -> Timer
                        .builder("lectern.jobs.run").description("Handler run time").tags("kind", kind, "outcome", o)
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    void retried(String kind) {
        Counter.builder("lectern.jobs.retries").tag("kind", kind).register(registry).increment();
    }

    void failed(String kind) {
        Counter.builder("lectern.jobs.failures").tag("kind", kind).register(registry).increment();
    }

    void leaseLost(String kind) {
        Counter.builder("lectern.jobs.lease.lost").tag("kind", kind).register(registry).increment();
    }
}

package dev.lectern.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The engine's meters on {@code /metrics}: {@code lectern.jobs.depth} (jobs by kind and state, refreshed on the reaper's
 * beat), {@code lectern.jobs.pickup} (run_at to claim), {@code lectern.jobs.run} (handler time by kind and outcome),
 * {@code lectern.jobs.retries}, {@code lectern.jobs.failures} and {@code lectern.jobs.lease.lost}.
 */
final class JobMetrics {
    private final MeterRegistry registry;
    private final MultiGauge depth;

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
        Timer.builder("lectern.jobs.pickup").description("From when a job may run to when a worker claims it")
                .tag("kind", kind).publishPercentiles(0.5, 0.99).register(registry)
                .record(Duration.ofMillis(Math.max(0, millis)));
    }

    void ran(String kind, String outcome, long nanos) {
        Timer.builder("lectern.jobs.run").description("Handler run time").tags("kind", kind, "outcome", outcome)
                .register(registry).record(Duration.ofNanos(nanos));
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

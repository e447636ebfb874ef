package dev.lectern.http.api;

import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** {@code GET /metrics}: Prometheus text format. */
public final class MetricsApi {
    private final PrometheusMeterRegistry registry;

    public MetricsApi(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    public void register(Router.Builder routes) {
        routes.get("/metrics").tag("system").summary("Prometheus metrics: requests, latencies, connections, JVM")
                .handle(r -> ApiResponse.text(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()).async());
    }
}

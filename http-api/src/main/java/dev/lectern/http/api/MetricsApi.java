package dev.lectern.http.api;

import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import dev.lectern.http.Types;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * {@code GET /metrics}: Prometheus text format. With a token ({@code LECTERN_METRICS_TOKEN}) the scraper must send
 * {@code Authorization: Bearer <token>}: route names, user counts and JVM figures are not for everybody.
 */
public final class MetricsApi {
    private final PrometheusMeterRegistry registry;
    private final byte[] token;

    public MetricsApi(PrometheusMeterRegistry registry) {
        this(registry, null);
    }

    /** {@code token}: null or empty = open (development, or a port only the scraper reaches). */
    public MetricsApi(PrometheusMeterRegistry registry, String token) {
        this.registry = registry;
        this.token = token == null || token.isEmpty() ? null
                : ("Bearer " + token).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    public void register(Router.Builder routes) {
        routes.get("/metrics").tag("system").summary("Prometheus metrics: requests, latencies, connections, JVM"
                        + " (Authorization: Bearer <LECTERN_METRICS_TOKEN> when one is set)").errors(401)
                .returns(200, Types.media("text/plain"))
                .handle(r -> {
                    if (token != null) {
                        String given = r.header("Authorization");
                        if (given == null || !java.security.MessageDigest.isEqual(token,
                                given.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
                            throw dev.lectern.core.error.ServiceException.unauthorized("a metrics token is required");
                        }
                    }
                    return ApiResponse.text(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape())
                            .async();
                });
    }
}

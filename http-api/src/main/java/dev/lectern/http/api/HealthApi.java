package dev.lectern.http.api;

import dev.lectern.core.health.HealthCheck;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /health} and {@code GET /api/health}: the Virtual Tutor backend's {@code {status: "healthy", service,
 * timestamp, database, redis}}, and beside it the status of each configured component and the build version.
 * 200 when everything is up, 503 (status {@code unhealthy}, same body) when something is down, so a load balancer
 * can act on it.
 * Each check runs on the blocking executor with a time limit: a hung store reads as down, not as a hung request.
 * One round of checks answers every request for {@link #CACHE_MILLIS} (and all requests while it runs), so a flood
 * of /health does not become a flood of store pings (issue #19).
 */
public final class HealthApi {
    private static final long CHECK_TIMEOUT_MILLIS = 2000;
    /** The components behind the seed's {@code database} and {@code redis} fields. */
    static final String SQL_STORE = "sqlStore";
    static final String EPHEMERAL_STORE = "ephemeralStore";

    private final List<HealthCheck> checks;
    private final Executor blocking;
    private final String version;
    private final long startedMillis = System.currentTimeMillis();

    public HealthApi(List<HealthCheck> checks, Executor blocking, String version) {
        this.checks = checks;
        this.blocking = blocking;
        this.version = version;
    }

    /** One component: {@code up} or {@code down}, and what it is or why it is down. */
    public record Component(String status, String detail) {}

    /** The seed's fields, then Lectern's. */
    public record Health(
            String status,
            String service,
            String timestamp,
            String database,
            String redis,
            String msg,
            String version,
            long uptimeSeconds,
            Map<String, Component> components) {}

    public void register(Router.Builder routes) {
        routes.get("/health").tag("system").summary("Liveness and the status of each store").errors(503)
                .returns(200, Health.class).returns(503, Health.class)
                .handle(r -> health());
        routes.get("/api/health").tag("system").summary("Liveness and the status of each store").errors(503)
                .returns(200, Health.class).returns(503, Health.class)
                .handle(r -> health());
    }

    /** How long one round of checks answers every caller: a flood of /health costs one round per second. */
    static final long CACHE_MILLIS = 1000;

    /** One round of checks: started at {@code startedNanos}, shared by every caller until it is stale. */
    private record Round(long startedNanos, CompletableFuture<Checked> result) {}

    private record Checked(Map<String, Component> components, boolean up) {}

    private final java.util.concurrent.atomic.AtomicReference<Round> round =
            new java.util.concurrent.atomic.AtomicReference<>();

    private CompletableFuture<ApiResponse> health() {
        return checked().thenApply(c -> {
            Component sql = c.components().get(SQL_STORE);
            Component store = c.components().get(EPHEMERAL_STORE);
            String redis = store == null || store.status().equals("up") && !"redis".equals(store.detail())
                    ? "not_configured" : store.status().equals("up") ? "connected" : "disconnected";
            Health body = new Health(c.up() ? "healthy" : "unhealthy", "lectern",
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                    sql == null ? "not_configured" : sql.status().equals("up") ? "connected" : "disconnected", redis,
                    c.up() ? "Service is healthy" : "Service is unhealthy", version,
                    (System.currentTimeMillis() - startedMillis) / 1000, c.components());
            return ApiResponse.json(c.up() ? 200 : 503, body);
        });
    }

    /** The current round while it runs or is under {@link #CACHE_MILLIS} old; otherwise one new round (single flight). */
    private CompletableFuture<Checked> checked() {
        while (true) {
            long now = System.nanoTime();
            Round current = round.get();
            if (current != null && (!current.result().isDone()
                    || now - current.startedNanos() < TimeUnit.MILLISECONDS.toNanos(CACHE_MILLIS))) {
                return current.result();
            }
            Round fresh = new Round(now, new CompletableFuture<>());
            if (round.compareAndSet(current, fresh)) {
                runChecks().whenComplete((c, e) -> {
                    if (e != null) {
                        fresh.result().completeExceptionally(e);
                    } else {
                        fresh.result().complete(c);
                    }
                });
                return fresh.result();
            }
        }
    }

    private CompletableFuture<Checked> runChecks() {
        List<CompletableFuture<Map.Entry<String, HealthCheck.HealthStatus>>> futures = new ArrayList<>();
        for (HealthCheck check : checks) {
            futures.add(CompletableFuture.supplyAsync(() -> safeCheck(check), blocking)
                    .completeOnTimeout(HealthCheck.HealthStatus.down("no answer within " + CHECK_TIMEOUT_MILLIS + " ms"),
                            CHECK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                    .exceptionally(t -> HealthCheck.HealthStatus.down("check failed: " + t.getClass().getSimpleName()))
                    .thenApply(s -> Map.entry(check.name(), s)));
        }
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).thenApply(v -> {
            Map<String, Component> components = new LinkedHashMap<>();
            boolean up = true;
            for (var f : futures) {
                var e = f.join();
                up &= e.getValue().up();
                components.put(e.getKey(), new Component(e.getValue().up() ? "up" : "down",
                        e.getValue().detail()));
            }
            return new Checked(components, up);
        });
    }

    private static HealthCheck.HealthStatus safeCheck(HealthCheck check) {
        try {
            return check.check();
        } catch (RuntimeException e) {
            return HealthCheck.HealthStatus.down(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}

package dev.lectern.http;

import dev.lectern.core.error.ServiceException;
import dev.lectern.core.store.EphemeralStore;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Fixed-window request limits per minute, counted in the ephemeral store so that they hold across nodes: one
 * instance per client address (placed before authentication), one per signed-in user (placed after it). Beyond the
 * limit: 429 with {@code Retry-After} until the window ends. The per-address instance also counts requests that match
 * no route (404, 405, 501). System routes (health, metrics, OpenAPI) are not
 * counted, so a load balancer's probes never trip it. The counter is updated on the blocking executor (it may be
 * Redis); when the store is down the request fails with 503 like every other request that needs it.
 */
public final class RateLimitDecorator implements HttpDecorator {
    /** What a request is counted against. */
    public enum Scope { ADDRESS, USER }

    private static final long WINDOW_MILLIS = 60_000;

    private final EphemeralStore store;
    private final Executor blocking;
    private final Scope scope;
    private final int perMinute;
    private final Clock clock;

    public RateLimitDecorator(EphemeralStore store, Executor blocking, Scope scope, int perMinute, Clock clock) {
        this.store = store;
        this.blocking = blocking;
        this.scope = scope;
        this.perMinute = perMinute;
        this.clock = clock;
    }

    @Override
    public boolean coversUnmatched() {
        return scope == Scope.ADDRESS;
    }

    @Override
    public CompletionStage<ApiResponse> apply(ApiRequest request, Route route, ApiHandler next) throws Exception {
        String who = scope == Scope.ADDRESS ? dev.lectern.core.net.ClientAddresses.limitKey(request.remoteAddress())
                : request.principalIfAny().map(p -> p.userId()).orElse(null);
        if (perMinute == 0 || who == null || "system".equals(route.tag())) {
            return next.handle(request);
        }
        long now = clock.millis();
        long retryAfterSeconds = ((now / WINDOW_MILLIS + 1) * WINDOW_MILLIS - now + 999) / 1000;
        return count(who).thenCompose(within -> {
            if (!within) {
                throw ServiceException.tooManyRequests("rate limit of " + perMinute
                        + " requests per minute exceeded", retryAfterSeconds);
            }
            try {
                return next.handle(request);
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            }
        });
    }

    /**
     * Counts one request of {@code who} (a client address, or a user) in this minute's window, on the blocking
     * executor; completes with whether it is within the limit. Signaling counts Engine.IO handshakes with it, so they
     * share the per-address budget with REST requests.
     */
    public CompletionStage<Boolean> count(String who) {
        if (perMinute == 0 || who == null) {
            return CompletableFuture.completedFuture(true);
        }
        String key = "rl:" + scope.name().toLowerCase(java.util.Locale.ROOT) + ":" + who + ":"
                + clock.millis() / WINDOW_MILLIS;
        return CompletableFuture.supplyAsync(
                () -> store.increment(key, 1, Duration.ofMillis(WINDOW_MILLIS + 1000)) <= perMinute, blocking);
    }
}

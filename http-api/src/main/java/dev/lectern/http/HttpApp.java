package dev.lectern.http;

import dev.lectern.core.config.HttpConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * What every HTTP connection shares: the router, the decorators, CORS, the blocking executor, metrics, and the
 * server-wide counters used by graceful shutdown. Thread-safe; one per server.
 */
public final class HttpApp {
    /** Returned through the decorator chain for a streaming route that may go ahead. */
    static final ApiResponse TAKEOVER = new ApiResponse(0, null, new byte[0], java.util.Map.of());

    private final HttpConfig config;
    private final Router router;
    private final List<HttpDecorator> decorators;
    private final CorsPolicy cors;
    private final BlockingExecutor blocking;
    private final MeterRegistry meters;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final Map<TimerKey, Timer> timers = new ConcurrentHashMap<>();
    private final List<HttpDecorator> unmatchedDecorators;
    private final dev.lectern.core.net.ClientAddresses clientAddresses;

    /** The methods routes may have; any other is answered 501 before routing and tagged {@code OTHER}. */
    static final java.util.Set<String> KNOWN_METHODS =
            java.util.Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    /** The route placeholder unmatched requests pass the decorators with. */
    private static final Route UNMATCHED = new Route("OTHER", "UNMATCHED", Access.PUBLIC, false,
            r -> CompletableFuture.completedFuture(ApiResponse.noContent()), null, null, List.of(), "", "unmatched",
            List.of(), null, List.of());
    /** Distinct route templates and methods the request timers may have; beyond, new series are denied. */
    static final int MAX_URI_TAGS = 1000;
    static final int MAX_METHOD_TAGS = KNOWN_METHODS.size() + 1;

    public HttpApp(HttpConfig config, Router router, List<HttpDecorator> decorators, BlockingExecutor blocking,
                   MeterRegistry meters) {
        this.config = config;
        this.router = router;
        this.decorators = List.copyOf(decorators);
        this.cors = new CorsPolicy(config.cors());
        this.blocking = blocking;
        this.meters = meters;
        this.clientAddresses = new dev.lectern.core.net.ClientAddresses(config.trustedProxies());
        this.unmatchedDecorators = this.decorators.stream().filter(HttpDecorator::coversUnmatched).toList();
        // a backstop behind the tag normalisation below: no request can add series without bound
        meters.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.maximumAllowableTags(
                "http.server.requests", "uri", MAX_URI_TAGS, io.micrometer.core.instrument.config.MeterFilter.deny()));
        meters.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.maximumAllowableTags(
                "http.server.requests", "method", MAX_METHOD_TAGS,
                io.micrometer.core.instrument.config.MeterFilter.deny()));
        meters.gauge("lectern.http.requests.inflight", inFlight);
    }

    public HttpConfig config() {
        return config;
    }

    public Router router() {
        return router;
    }

    public CorsPolicy cors() {
        return cors;
    }

    /** Works out a request's client address (trusted proxies' {@code X-Forwarded-For}). */
    public dev.lectern.core.net.ClientAddresses clientAddresses() {
        return clientAddresses;
    }

    public BlockingExecutor blocking() {
        return blocking;
    }

    public MeterRegistry meters() {
        return meters;
    }

    /** Requests (including open streams) that have started and not yet sent their last byte. */
    public int inFlight() {
        return inFlight.get();
    }

    AtomicInteger inFlightCounter() {
        return inFlight;
    }

    public boolean draining() {
        return draining.get();
    }

    /** From now on every response says {@code Connection: close}. */
    public void startDraining() {
        draining.set(true);
    }

    /** Runs the decorators and then the route's handler (on the blocking executor when the route blocks). */
    CompletionStage<ApiResponse> invoke(Route route, ApiRequest request) {
        return invoke(route, request, r -> { });
    }

    /**
     * As {@link #invoke(Route, ApiRequest)}; for a streaming route {@code admitted} receives the request as the
     * decorators passed it on (with the authenticated principal) before {@link #TAKEOVER} is returned.
     */
    CompletionStage<ApiResponse> invoke(Route route, ApiRequest request, Consumer<ApiRequest> admitted) {
        ApiHandler terminal;
        if (route.isStreaming()) {
            terminal = r -> {
                admitted.accept(r);
                return CompletableFuture.completedFuture(TAKEOVER);
            };
        } else if (route.blocking()) {
            terminal = r -> CompletableFuture.supplyAsync(() -> call(route.handler(), r), blocking)
                    .thenCompose(s -> s);
        } else {
            terminal = route.handler();
        }
        ApiHandler chain = terminal;
        for (int i = decorators.size() - 1; i >= 0; i--) {
            HttpDecorator d = decorators.get(i);
            ApiHandler next = chain;
            chain = r -> d.apply(r, route, next);
        }
        return call(chain, request);
    }

    /**
     * A request that matched no route, through the decorators that cover such requests (the per-address limit):
     * {@code answer} when they let it pass, else their refusal (429).
     */
    CompletionStage<ApiResponse> invokeUnmatched(ApiRequest request, ApiResponse answer) {
        ApiHandler chain = r -> CompletableFuture.completedFuture(answer);
        for (int i = unmatchedDecorators.size() - 1; i >= 0; i--) {
            HttpDecorator d = unmatchedDecorators.get(i);
            ApiHandler next = chain;
            chain = r -> d.apply(r, UNMATCHED, next);
        }
        return call(chain, request);
    }

    /** The {@code method} tag of a request: its own when a route may have it, else {@code OTHER}. */
    static String methodTag(String method) {
        return KNOWN_METHODS.contains(method) ? method : "OTHER";
    }

    private static CompletionStage<ApiResponse> call(ApiHandler handler, ApiRequest request) {
        try {
            CompletionStage<ApiResponse> result = handler.handle(request);
            return result != null ? result : CompletableFuture.failedFuture(
                    new IllegalStateException("handler returned null"));
        } catch (Throwable t) {
            return CompletableFuture.failedFuture(t);
        }
    }

    /**
     * The request timer of (method, route template, status). The registry's own look-up builds and hashes a meter id
     * per call; routes and statuses are few, so the timers are kept here, found with no allocation but the key (and a
     * connection that repeats a request keeps the last one it used and does not look at all).
     */
    Timer timer(String method, String template, int status) {
        return timers.computeIfAbsent(new TimerKey(methodTag(method), template, status), this::timer);
    }

    private record TimerKey(String method, String template, int status) {}

    private Timer timer(TimerKey k) {
        String method = k.method();
        String template = k.template();
        int status = k.status();
        return Timer.builder("http.server.requests")
                .description("HTTP requests by route and status")
                .tag("method", method)
                .tag("uri", template)
                .tag("status", Integer.toString(status))
                .publishPercentileHistogram(false)
                .register(meters);
    }
}

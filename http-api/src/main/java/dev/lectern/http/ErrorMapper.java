package dev.lectern.http;

import dev.lectern.core.error.ServiceException;
import dev.lectern.core.netty.JsonErrors;
import dev.lectern.core.store.StoreUnavailableException;
import dev.lectern.core.util.Futures;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns any failure into {@code {"error","message","requestId","msg"}} ({@link JsonErrors#body}; Armeria's
 * {@code ServerErrorHandler}). Stack traces never reach clients; a 5xx is logged here, once.
 */
public final class ErrorMapper {
    private static final Logger logger = LoggerFactory.getLogger(ErrorMapper.class);

    private static final long OUTAGE_WARNING_INTERVAL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    private static final Map<String, Long> LAST_OUTAGE_WARNING = new java.util.concurrent.ConcurrentHashMap<>();

    private ErrorMapper() {}

    public static ApiResponse toResponse(Throwable cause, String requestId) {
        Throwable t = Futures.unwrap(cause);
        if (t instanceof ServiceException e) {
            if (e.status() >= 500) {
                logger.warn("request failed: {} {}", e.status(), e.getMessage());
            }
            ApiResponse r = error(e.status(), e.code(), e.getMessage(), requestId);
            for (Map.Entry<String, String> h : e.headers().entrySet()) {
                r = r.withHeader(h.getKey(), h.getValue());
            }
            return r;
        }
        if (t instanceof StoreUnavailableException e) {
            logOutage(e);
            return error(503, "store_unavailable", e.store() + " is unavailable, try again shortly", requestId)
                    .withHeader("Retry-After", "1");
        }
        if (t instanceof RejectedExecutionException) {
            logger.warn("blocking executor saturated; refusing request");
            return error(503, "service_unavailable", "server is busy, try again shortly", requestId)
                    .withHeader("Retry-After", "1");
        }
        logger.error("unhandled error", t);
        return error(500, "internal_error", "internal server error", requestId);
    }

    /** An outage fails every request that needs the store: WARN once per store per 10 s, the rest at DEBUG. */
    private static void logOutage(StoreUnavailableException e) {
        long now = System.nanoTime();
        Long last = LAST_OUTAGE_WARNING.get(e.store());
        if (last == null || now - last > OUTAGE_WARNING_INTERVAL_NANOS) {
            LAST_OUTAGE_WARNING.put(e.store(), now);
            logger.warn("store unavailable, answering 503: {}", e.getMessage());
        } else {
            logger.debug("store unavailable, answering 503: {}", e.getMessage());
        }
    }

    /** The error answer every REST path writes: {@link JsonErrors#body}. */
    public static ApiResponse error(int status, String code, String message, String requestId) {
        return new ApiResponse(status, JsonErrors.CONTENT_TYPE, JsonErrors.body(code, message, requestId), Map.of());
    }
}

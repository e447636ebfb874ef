package dev.lectern.core.log;

import java.util.Map;
import org.slf4j.MDC;

/**
 * Puts the request id (and session id) in the MDC for the length of one callback. Event-loop threads serve many
 * connections, so the MDC is set and cleared around each callback, never left behind.
 */
public final class LogContext implements AutoCloseable {
    public static final String REQUEST_ID = "requestId";
    public static final String SESSION_ID = "sid";

    private final Map<String, String> previous;

    private LogContext(Map<String, String> previous) {
        this.previous = previous;
    }

    public static LogContext push(String requestId) {
        return push(requestId, null);
    }

    public static LogContext push(String requestId, String sessionId) {
        Map<String, String> previous = MDC.getCopyOfContextMap();
        if (requestId != null) {
            MDC.put(REQUEST_ID, requestId);
        }
        if (sessionId != null) {
            MDC.put(SESSION_ID, sessionId);
        }
        return new LogContext(previous);
    }

    /** Wraps a task so that it runs with the caller's MDC on another thread. */
    public static Runnable wrap(Runnable task) {
        Map<String, String> context = MDC.getCopyOfContextMap();
        return () -> {
            Map<String, String> previous = MDC.getCopyOfContextMap();
            if (context != null) {
                MDC.setContextMap(context);
            } else {
                MDC.clear();
            }
            try {
                task.run();
            } finally {
                restore(previous);
            }
        };
    }

    @Override
    public void close() {
        restore(previous);
    }

    private static void restore(Map<String, String> previous) {
        if (previous == null) {
            MDC.clear();
        } else {
            MDC.setContextMap(previous);
        }
    }
}

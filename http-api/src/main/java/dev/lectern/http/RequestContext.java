package dev.lectern.http;

import java.util.List;
import java.util.Map;

/**
 * The request in progress on a connection, as the handlers after {@link RequestContextHandler} see it: its id, method,
 * decoded path and query (null path: the URI could not be decoded), and the route template once routing found one.
 * Lives on the connection's event loop; one per request.
 */
public final class RequestContext {
    private final String requestId;
    private final String method;
    private final String path;
    private final Map<String, List<String>> query;
    private final long startNanos;
    private String template = "UNMATCHED";

    RequestContext(String requestId, String method, String path, Map<String, List<String>> query, long startNanos) {
        this.requestId = requestId;
        this.method = method;
        this.path = path;
        this.query = query;
        this.startNanos = startNanos;
    }

    public String requestId() {
        return requestId;
    }

    public String method() {
        return method;
    }

    /** The decoded path, or null when the request or its URI was malformed. */
    public String path() {
        return path;
    }

    public Map<String, List<String>> query() {
        return query;
    }

    long startNanos() {
        return startNanos;
    }

    String template() {
        return template;
    }

    /** The route template the request matched, for the request metrics. */
    void matched(String template) {
        this.template = template;
    }
}

package dev.lectern.http;

import dev.lectern.core.auth.AcceptedTokens;
import java.lang.reflect.Type;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One endpoint: method + path template ({@code /api/video/rooms/{id}}), who may call it, and one of: a REST
 * {@link ApiHandler} (body aggregated up to the configured limit), an {@link SseRoute} (body aggregated the same way,
 * answered with an event stream), or a {@link Tunnel} that takes the raw request (uploads, the avatar proxy). The
 * documentation fields feed {@code /openapi.json}: {@code requestType} is the Java type the JSON (or form) body binds to,
 * {@code responseTypes} the Java type of the body per status code (a {@code List<X>} type for a bare array), from
 * which the document's schemas are generated so they cannot drift from the code. {@code tokens} says which kinds of
 * token the route takes ({@link AcceptedTokens#ANY} unless it says otherwise), checked by {@link AuthDecorator}.
 */
public record Route(
        String method,
        String template,
        Access access,
        boolean blocking,
        ApiHandler handler,
        SseRoute sse,
        Tunnel tunnel,
        List<String> consumes,
        String summary,
        String tag,
        List<Param> queryParams,
        Object requestExample,
        List<Integer> errorStatuses,
        Type requestType,
        Map<Integer, Type> responseTypes,
        AcceptedTokens tokens) {

    public Route {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(access, "access");
        if ((handler != null ? 1 : 0) + (sse != null ? 1 : 0) + (tunnel != null ? 1 : 0) != 1) {
            throw new IllegalArgumentException(method + " " + template + ": exactly one of handler, sse or tunnel");
        }
        consumes = List.copyOf(consumes);
        queryParams = List.copyOf(queryParams);
        errorStatuses = List.copyOf(errorStatuses);
        responseTypes = responseTypes == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(responseTypes));
        tokens = tokens == null ? AcceptedTokens.ANY : tokens;
    }

    /** A route that takes every kind of token. */
    public Route(String method, String template, Access access, boolean blocking, ApiHandler handler, SseRoute sse,
            Tunnel tunnel, List<String> consumes, String summary, String tag, List<Param> queryParams,
            Object requestExample, List<Integer> errorStatuses, Type requestType, Map<Integer, Type> responseTypes) {
        this(method, template, access, blocking, handler, sse, tunnel, consumes, summary, tag, queryParams,
                requestExample, errorStatuses, requestType, responseTypes, AcceptedTokens.ANY);
    }

    /** A route without typed request or response bodies (the schema falls back to the example). */
    public Route(String method, String template, Access access, boolean blocking, ApiHandler handler, SseRoute sse,
            Tunnel tunnel, List<String> consumes, String summary, String tag, List<Param> queryParams,
            Object requestExample, List<Integer> errorStatuses) {
        this(method, template, access, blocking, handler, sse, tunnel, consumes, summary, tag, queryParams,
                requestExample, errorStatuses, null, Map.of(), AcceptedTokens.ANY);
    }

    /** An SSE or tunnel route: its response is not a complete {@link ApiResponse}. */
    public boolean isStreaming() {
        return sse != null || tunnel != null;
    }

    /** A documented query parameter. */
    public record Param(String name, String type, boolean required, String description) {}
}

package dev.lectern.http;

import java.util.List;
import java.util.Objects;

/**
 * One endpoint: method + path template ({@code /api/video/rooms/{id}}), who may call it, and either a REST
 * {@link ApiHandler} (body aggregated up to the configured limit) or a {@link StreamingRoute} that handles the raw
 * request itself (uploads, the avatar proxy, SSE). The documentation fields feed {@code /openapi.json}.
 */
public record Route(
        String method,
        String template,
        Access access,
        boolean blocking,
        ApiHandler handler,
        StreamingRoute streaming,
        List<String> consumes,
        String summary,
        String tag,
        List<Param> queryParams,
        Object requestExample,
        List<Integer> errorStatuses) {

    public Route {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(access, "access");
        if ((handler == null) == (streaming == null)) {
            throw new IllegalArgumentException(method + " " + template + ": exactly one of handler or streaming");
        }
        consumes = List.copyOf(consumes);
        queryParams = List.copyOf(queryParams);
        errorStatuses = List.copyOf(errorStatuses);
    }

    public boolean isStreaming() {
        return streaming != null;
    }

    /** A documented query parameter. */
    public record Param(String name, String type, boolean required, String description) {}
}

package dev.lectern.http;

import dev.lectern.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A complete REST response: status, headers and a body of bytes, or of a file ({@link #file}: sent from disk as it is
 * read, never whole in memory).
 */
public record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers, FileBody file) {
    public static final String JSON = "application/json; charset=utf-8";

    public ApiResponse {
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
        this(status, contentType, body, headers, null);
    }

    /**
     * A body sent from a file of {@code length} bytes (read as it is sent); {@code afterSent} runs once the response
     * is written or failed (e.g. deletes a temporary copy), or is null.
     */
    public record FileBody(Path path, long length, Runnable afterSent) {}

    /** {@code file} as the body, sent from disk; {@code afterSent} (or null) runs when it is written or failed. */
    public static ApiResponse file(int status, String contentType, Path file, long length, Runnable afterSent) {
        return new ApiResponse(status, contentType, null, Map.of(), new FileBody(file, length, afterSent));
    }

    public static ApiResponse json(Object value) {
        return json(200, value);
    }

    public static ApiResponse json(int status, Object value) {
        return new ApiResponse(status, JSON, Json.writeBytes(value), Map.of());
    }

    public static ApiResponse text(int status, String contentType, String text) {
        return new ApiResponse(status, contentType, text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    public static ApiResponse bytes(int status, String contentType, byte[] body) {
        return new ApiResponse(status, contentType, body, Map.of());
    }

    public static ApiResponse noContent() {
        return new ApiResponse(204, null, new byte[0], Map.of());
    }

    public ApiResponse withHeader(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.put(name, value);
        return new ApiResponse(status, contentType, body, copy, file);
    }

    public CompletionStage<ApiResponse> async() {
        return CompletableFuture.completedFuture(this);
    }
}

package dev.lectern.http;

/**
 * A failure with an HTTP status and a stable machine-readable code. Services throw it; {@link ErrorMapper} turns it
 * into {@code {"error":code,"message":…,"requestId":…}}. The message is shown to the client, so it never holds
 * secrets or internals.
 */
public class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final transient java.util.Map<String, String> headers;

    public ApiException(int status, String code, String message) {
        this(status, code, message, java.util.Map.of());
    }

    public ApiException(int status, String code, String message, java.util.Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = java.util.Map.copyOf(headers);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** Extra response headers, e.g. {@code Retry-After} on a 429 or {@code Allow} on a 405. */
    public java.util.Map<String, String> headers() {
        return headers;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "bad_request", message);
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, "unauthorized", message);
    }

    public static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(409, "conflict", message);
    }

    public static ApiException unavailable(String message) {
        return new ApiException(503, "service_unavailable", message);
    }

    public static ApiException tooManyRequests(String message, long retryAfterSeconds) {
        return new ApiException(429, "too_many_requests", message,
                java.util.Map.of("Retry-After", Long.toString(Math.max(1, retryAfterSeconds))));
    }
}

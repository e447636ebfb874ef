package dev.lectern.core.error;

/**
 * The one error a service throws for a failure its caller should see: a status (numbered as HTTP's, the vocabulary
 * every client knows), a stable machine-readable code and a message. It names no transport: the HTTP layer's error
 * mapper turns it into {@code {"error":code,"message":…,"requestId":…}}. The message is shown to the client, so it
 * never holds secrets or internals.
 */
public class ServiceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final transient java.util.Map<String, String> headers;

    public ServiceException(int status, String code, String message) {
        this(status, code, message, java.util.Map.of());
    }

    public ServiceException(int status, String code, String message, java.util.Map<String, String> headers) {
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

    /** Extra response headers for an HTTP caller, e.g. {@code Retry-After} on a 429 or {@code Allow} on a 405. */
    public java.util.Map<String, String> headers() {
        return headers;
    }

    public static ServiceException badRequest(String message) {
        return new ServiceException(400, "bad_request", message);
    }

    public static ServiceException unauthorized(String message) {
        return new ServiceException(401, "unauthorized", message);
    }

    public static ServiceException forbidden(String message) {
        return new ServiceException(403, "forbidden", message);
    }

    public static ServiceException notFound(String message) {
        return new ServiceException(404, "not_found", message);
    }

    public static ServiceException conflict(String message) {
        return new ServiceException(409, "conflict", message);
    }

    public static ServiceException tooManyRequests(String message, long retryAfterSeconds) {
        return new ServiceException(429, "too_many_requests", message,
                java.util.Map.of("Retry-After", Long.toString(Math.max(1, retryAfterSeconds))));
    }
}

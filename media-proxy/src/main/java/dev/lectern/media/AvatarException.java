package dev.lectern.media;

/**
 * Why an avatar operation failed, in words safe to show a user. {@link Kind} tells the HTTP layer which status to
 * answer with; the media module itself knows nothing about HTTP.
 */
public final class AvatarException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Failure classes, each with the HTTP status it maps to. */
    public enum Kind {
        /** No avatar of that name in the catalogue (404). */
        UNKNOWN_AVATAR(404),
        /** The avatar exists but is switched off (409). */
        INACTIVE(409),
        /** Every port or GPU slot is taken (503). */
        NO_CAPACITY(503),
        /** The process could not be started or exited before it was ready (502). */
        START_FAILED(502),
        /** The process did not become ready in time and was stopped (504). */
        NOT_READY(504),
        /** The avatar (or the external manager) answered with an error or nonsense (502). */
        UPSTREAM(502),
        /** The manager is shutting down (503). */
        SHUTTING_DOWN(503);

        private final int httpStatus;

        Kind(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Kind kind;
    private final long retryAfterSeconds;

    public AvatarException(Kind kind, String message) {
        this(kind, message, 0);
    }

    /** @param retryAfterSeconds when the caller may try again (a {@code Retry-After}); 0 = not said */
    public AvatarException(Kind kind, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.kind = kind;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public Kind kind() {
        return kind;
    }
}

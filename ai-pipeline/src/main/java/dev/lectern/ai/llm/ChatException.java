package dev.lectern.ai.llm;

/**
 * A chat request refused before any model was asked: {@code status} is the HTTP status to answer with, {@code code}
 * a stable machine-readable reason, the message safe to show.
 */
public final class ChatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final long retryAfterSeconds;

    public ChatException(int status, String code, String message) {
        this(status, code, message, 0);
    }

    public ChatException(int status, String code, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** For a 429: when to try again; 0 when not applicable. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}

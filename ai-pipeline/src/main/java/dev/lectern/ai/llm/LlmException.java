package dev.lectern.ai.llm;

/**
 * A model request failed. {@code code} is stable and machine-readable ({@code upstream_timeout},
 * {@code upstream_unavailable}, {@code upstream_rate_limited}, …); the message is safe to show to the user.
 */
public final class LlmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final boolean retryable;

    public LlmException(String code, String message, boolean retryable) {
        super(message, null, false, false);
        this.code = code;
        this.retryable = retryable;
    }

    public String code() {
        return code;
    }

    /** Worth one more attempt, provided no answer text has been delivered yet. */
    public boolean retryable() {
        return retryable;
    }
}

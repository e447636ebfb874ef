package dev.lectern.core.auth;

/** A token that is missing, malformed, forged, expired or revoked. The message is safe to show to the client. */
public final class InvalidTokenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidTokenException(String message) {
        super(message, null, false, false);
    }
}

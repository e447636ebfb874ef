package dev.lectern.server;

/** Start-up failed for a reason an operator can fix (busy port, unusable config); the message says which. */
public final class StartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}

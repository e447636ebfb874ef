package dev.lectern.core.store.sql;

/** An insert or update broke a unique constraint (an e-mail address already registered, …). */
public final class DuplicateKeyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DuplicateKeyException(String message, Throwable cause) {
        super(message, cause);
    }
}

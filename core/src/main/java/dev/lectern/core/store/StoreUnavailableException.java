package dev.lectern.core.store;

/** A backing store (Redis, PostgreSQL) cannot be reached right now. REST maps it to 503; the caller may retry later. */
public final class StoreUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String store;

    public StoreUnavailableException(String store, String message, Throwable cause) {
        super(store + " unavailable: " + message, cause);
        this.store = store;
    }

    public String store() {
        return store;
    }
}

package dev.lectern.jobs;

/** Thrown by a handler for a failure that another run would not fix (bad payload, missing record): no retry. */
public class PermanentJobFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PermanentJobFailure(String message) {
        super(message);
    }

    public PermanentJobFailure(String message, Throwable cause) {
        super(message, cause);
    }
}

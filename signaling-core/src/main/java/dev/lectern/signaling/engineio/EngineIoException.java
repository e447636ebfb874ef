package dev.lectern.signaling.engineio;

/** A protocol violation by the peer: the transport is closed. The message is safe to log. */
public final class EngineIoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EngineIoException(String message) {
        super(message, null, false, false);
    }
}

package dev.lectern.signaling.socketio;

/** A malformed Socket.IO packet: the protocol says the transport is closed. */
public final class SocketIoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SocketIoException(String message) {
        super(message, null, false, false);
    }
}

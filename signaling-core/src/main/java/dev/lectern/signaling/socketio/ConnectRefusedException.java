package dev.lectern.signaling.socketio;

/** Refuses a namespace CONNECT; the message is sent to the client in the CONNECT_ERROR. */
public final class ConnectRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConnectRefusedException(String message) {
        super(message, null, false, false);
    }
}

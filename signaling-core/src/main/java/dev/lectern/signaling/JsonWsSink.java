package dev.lectern.signaling;

/** The outbound side of one {@code /ws} connection, implemented by its Netty handler; callable from any thread. */
public interface JsonWsSink {
    /** Sends one text frame; false when the socket is not writable (the frame is still queued). */
    boolean send(String json);

    /** Bytes written but not yet handed to the operating system (0 when unknown). */
    default long pendingBytes() {
        return 0;
    }

    /** Sends a close frame with this status and closes. */
    void close(int status, String reason);
}

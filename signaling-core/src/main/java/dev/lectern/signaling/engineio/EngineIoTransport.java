package dev.lectern.signaling.engineio;

import java.util.List;

/** The Engine.IO side of a WebSocket: implemented by the Netty handler, called on the session's executor. */
public interface EngineIoTransport {
    /** Writes and flushes the packets in order; false when the socket is not writable (the write still happens). */
    boolean send(List<EngineIoPacket> packets);

    /** Bytes written but not yet handed to the operating system (0 when unknown). */
    default long pendingBytes() {
        return 0;
    }

    /** Closes the socket (a WebSocket close frame, then the connection). */
    void close();
}

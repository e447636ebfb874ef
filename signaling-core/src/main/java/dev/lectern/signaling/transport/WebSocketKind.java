package dev.lectern.signaling.transport;

/** The two WebSocket dialects a signaling upgrade can lead to. */
public enum WebSocketKind {
    /** Engine.IO v4 over WebSocket (Socket.IO v5 above it), on an Engine.IO endpoint's path. */
    ENGINE_IO,
    /** The plain JSON dialect on {@code /ws}. */
    JSON
}

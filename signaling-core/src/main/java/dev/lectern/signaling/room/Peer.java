package dev.lectern.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;

/** One connected client as the rooms see it (a Socket.IO socket or a /ws connection). {@link #send} is thread-safe. */
public interface Peer {
    /** Unique per connection; what other peers address with {@code to}. */
    String peerId();

    /** The verified identity. */
    String userId();

    void send(String event, JsonNode data);

    /** False once the connection is gone for good (a join that completes later must not add it). */
    default boolean isOpen() {
        return true;
    }
}

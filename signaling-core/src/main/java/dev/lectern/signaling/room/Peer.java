package dev.lectern.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;

/** One connected client as the rooms see it (a Socket.IO socket or a /ws connection). {@link #send} is thread-safe. */
public interface Peer {
    /** Unique per connection; what other peers address with {@code to}. */
    String peerId();

    /** The verified identity. */
    String userId();

    void send(String event, JsonNode data);

    /** The id of the token the connection was authenticated with (null: none, development mode). */
    default String tokenId() {
        return null;
    }

    /** Closes the connection from the server side (its token was revoked). */
    default void close(String reason) { }

    /** False once the connection is gone for good (a join that completes later must not add it). */
    default boolean isOpen() {
        return true;
    }
}

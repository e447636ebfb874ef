package dev.lectern.signaling;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.signaling.room.Peer;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Client events that another feature serves over the signaling connections (Socket.IO and {@code /ws}), next to the
 * rooms' own: {@link #handle} is called on the connection's executor and must not block (hand blocking work to an
 * executor of its own); its stage completes with the ack payload, or with a {@link dev.lectern.signaling.room
 * .SignalingError} that is sent as the {@code error} event and a failed ack.
 */
public interface PeerEvents {
    /** The event names this serves. */
    Set<String> events();

    CompletionStage<JsonNode> handle(Peer peer, String event, JsonNode data);

    /** The peer's connection is gone (or moved to another node): release what it held. */
    void disconnected(Peer peer);
}

package dev.lectern.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Who may join which room (issue #19 item 10): called for every {@code join} before the room is touched. The stage
 * completes with whether the peer joins as host, or fails with a {@link SignalingError} that the joiner gets as
 * {@code error}. Called on an event loop: an implementation that looks anything up does it on its own executor.
 */
@FunctionalInterface
public interface RoomAccess {
    /**
     * @param wantsHost what the client asked for with {@code is_host}
     * @param join      the whole {@code join} payload (an {@code invite} may be in it)
     */
    CompletionStage<Boolean> admit(Peer peer, String roomId, boolean wantsHost, JsonNode join);

    /**
     * Ad-hoc rooms ({@code signaling.adHocRooms}, development and load benchmarks): any id names a room that exists
     * while someone is in it, and {@code is_host} is what the client says.
     */
    RoomAccess AD_HOC = (peer, roomId, wantsHost, join) -> CompletableFuture.completedFuture(wantsHost);
}

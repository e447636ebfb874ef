package dev.lectern.signaling.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.signaling.cluster.internal.RedisClusterBus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * How the rooms of several nodes become one: cluster-wide room membership (with the room capacity enforced across
 * nodes) and the fan-out of room events to the other nodes that have members in a room. {@link LocalClusterBus} is
 * the single-node default; {@link RedisClusterBus} shares one Redis between nodes.
 *
 * <p>Every method returns at once and may be called from an event loop: implementations that talk to a network do
 * it off the caller's thread or without waiting. Remote events reach the {@link Handler} on a thread of the bus's
 * (for {@link RedisClusterBus}: one event loop, or its worker thread for reaped members) and must not block it; those of
 * one room arrive in the order in which the originating node published them.
 */
public interface ClusterBus extends AutoCloseable {
    /** This node's id (what other nodes see as the origin of its events). */
    String nodeId();

    /** False for the single-node bus: rooms then need no registration and nothing is published. */
    boolean clustered();

    /** Starts delivering other nodes' room events (and reaped members' {@code peer-left}) to the handler. */
    void start(Handler handler);

    /**
     * Registers a local member of a room cluster-wide, refusing it when the room already holds {@code capacity}
     * members on all nodes together. Completes with every member of the room on other nodes, or exceptionally with
     * {@link RoomFullException}. When the shared store is unreachable it completes with no remote members: the
     * member joins locally and is registered once the store is back.
     */
    CompletionStage<List<Member>> join(String roomId, Member member, int capacity);

    /**
     * Removes a local member from the cluster-wide membership, then publishes {@code announce} (when not null: the
     * {@code peer-left}), so that a node that hears of the departure finds the place already free.
     */
    void leave(String roomId, String peerId, RoomEvent announce);

    /**
     * Sends a room event to the other nodes with members in the room. Never blocks; the events of one room are
     * delivered in the order of these calls. While the shared store is away, events are kept (within a bound of age
     * and bytes) and sent when it is back; one given up is reported to {@link Handler#undelivered}.
     */
    void publish(String roomId, RoomEvent event);

    /**
     * A local member leaves this node without leaving the room (its client resumed on another node): the room's
     * channel is let go of with the last local member, the cluster-wide entry stays for the node that adopts it.
     */
    void handOff(String roomId, String peerId);

    /**
     * A member that another node handed off is now here: registered as this node's (no capacity check: it held its
     * place all along). Completes with the room's members on other nodes.
     */
    CompletionStage<List<Member>> adopt(String roomId, Member member);

    /**
     * Sends {@code body} to another node's {@link #serveRequests responder} and completes with its answer, or
     * exceptionally when there is none within the time limit (the node is gone, or the store is down).
     */
    CompletionStage<String> request(String node, String body, long timeoutMillis);

    /** Answers other nodes' {@link #request}s; the responder is called on a bus thread and must not block. */
    void serveRequests(Function<String, CompletionStage<String>> responder);

    @Override
    void close();

    /** A room member as other nodes see it. */
    record Member(String peerId, String userId, boolean host) {}

    /**
     * One room event: {@code event} with {@code data} for one peer ({@code to}) or for every member but {@code from}
     * (null: every member).
     */
    record RoomEvent(String event, String to, String from, JsonNode data) {}

    /** Thrown (inside the join's stage) when a room is full across the cluster. */
    final class RoomFullException extends RuntimeException {
        public RoomFullException() {
            super("room is full", null, false, false);
        }
    }

    /** The room side of the bus (implemented by the room service). */
    interface Handler {
        /** An event from another node (or a member of a dead node that was reaped) for the local members of a room. */
        void onRemote(String roomId, RoomEvent event);

        /**
         * A room event this node published will not reach the other nodes (Redis was away longer than the bus keeps
         * events for, or too much waited): its sender on this node, if any, is to be told.
         */
        void undelivered(String roomId, RoomEvent event);

        /** The members of each room on this node right now, re-asserted on every heartbeat. */
        Map<String, List<Member>> localMembers();
    }
}

package dev.lectern.signaling.cluster;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/** One node: every member of a room is in this process, so there is nothing to register or publish. */
public final class LocalClusterBus implements ClusterBus {
    private final String nodeId;

    public LocalClusterBus(String nodeId) {
        this.nodeId = nodeId;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public boolean clustered() {
        return false;
    }

    @Override
    public void start(Handler handler) { }

    @Override
    public CompletionStage<List<Member>> join(String roomId, Member member, int capacity) {
        return CompletableFuture.completedFuture(List.of());
    }

    @Override
    public void leave(String roomId, String peerId, RoomEvent announce) { }

    @Override
    public void publish(String roomId, RoomEvent event) { }

    @Override
    public void handOff(String roomId, String peerId) { }

    @Override
    public CompletionStage<List<Member>> adopt(String roomId, Member member) {
        return CompletableFuture.completedFuture(List.of());
    }

    @Override
    public CompletionStage<String> request(String node, String body, long timeoutMillis) {
        return CompletableFuture.failedFuture(new IllegalStateException("a single node has no other nodes"));
    }

    @Override
    public void serveRequests(Function<String, CompletionStage<String>> responder) { }

    @Override
    public void close() { }
}

package dev.lectern.signaling.socketio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.json.Json;
import dev.lectern.core.netty.HandOff;
import dev.lectern.signaling.cluster.ClusterBus;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.signaling.engineio.EngineIoSession;
import dev.lectern.signaling.socketio.internal.ReplayLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The namespaces served on one Engine.IO endpoint, the connect timeout and connection state recovery: sockets whose
 * transport dropped are parked here by private id for {@code recoveryWindowMillis} (0 disables recovery).
 *
 * <p>On a {@link #cluster clustered} node a private id names the node that holds the socket ({@code node:random}); a
 * client that resumes on another node has that node ask the holder, over the cluster bus, to hand the socket over:
 * the holder answers with what the client missed (from its replay buffer, which also kept filling while the client
 * was away), the socket's id and offset, and the namespace's state (its rooms), and forgets it without a disconnect.
 */
public final class SocketIoServer {
    private final Map<String, Namespace> namespaces;
    /** Each namespace's slot in a connection's socket array (connections hold an array, not a map). */
    private final Map<String, Integer> slots;
    private final long connectTimeoutMillis;
    private final long recoveryWindowMillis;
    private final ReplayLog replayLog;
    private final int replayLimit;
    private final Map<String, Parked> parked = new ConcurrentHashMap<>();
    /** Recoverable sockets that are still attached, by private id: a client may be back before its drop is noticed. */
    private final Map<String, SocketIoSocket> live = new ConcurrentHashMap<>();
    private volatile ClusterBus bus;
    static final long CLAIM_TIMEOUT_MILLIS = 3000;
    private static final int MOVED_LIMIT = 100_000;
    private static final int MAX_HOPS = 4;
    /**
     * Where sockets handed over by this node went, by private id (whose prefix still names this node), so that a
     * client that drops again and comes back anywhere can be found; the oldest entries go beyond the limit.
     */
    private final Map<String, String> movedTo = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                    return size() > MOVED_LIMIT;
                }
            });

    /** What the holding node sent for a socket resumed here. */
    record Claim(String id, long nextOffset, List<String> missed, JsonNode state) {}

    private static final class Parked {
        final SocketIoSocket socket;
        volatile ScheduledFuture<?> expiry;

        Parked(SocketIoSocket socket) {
            this.socket = socket;
        }
    }

    public SocketIoServer(Map<String, Namespace> namespaces, long connectTimeoutMillis) {
        this(namespaces, connectTimeoutMillis, 0, 0, 0, 0);
    }

    /**
     * @param replayMillis how long sent events are kept for a replay (the longest a dead transport can go unnoticed:
     *        ping interval + ping timeout), as long as {@code replayBytes} allows
     * @param replayBytes the most bytes of sent events kept, for all sockets together
     * @param replayLimit the most events replayed to one socket (a client that missed more connects afresh)
     */
    public SocketIoServer(Map<String, Namespace> namespaces, long connectTimeoutMillis, long recoveryWindowMillis,
            long replayMillis, long replayBytes, int replayLimit) {
        this.namespaces = Map.copyOf(namespaces);
        if (namespaces.size() > 64) {
            throw new IllegalArgumentException("at most 64 namespaces");
        }
        Map<String, Integer> slots = new java.util.HashMap<>();
        for (String nsp : namespaces.keySet()) {
            slots.put(nsp, slots.size());
        }
        this.slots = Map.copyOf(slots);
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.recoveryWindowMillis = recoveryWindowMillis;
        this.replayLog = recoveryWindowMillis > 0 ? new ReplayLog(replayBytes, replayMillis) : null;
        this.replayLimit = replayLimit;
    }

    /** Joins a cluster: private ids name this node, and other nodes may claim sockets parked here. */
    public void cluster(ClusterBus clusterBus) {
        if (clusterBus.clustered()) {
            this.bus = clusterBus;
            clusterBus.serveRequests(this::handOver);
        }
    }

    String newPid() {
        ClusterBus b = bus;
        return b == null ? EngineIoServer.newId() : b.nodeId() + ":" + EngineIoServer.newId();
    }

    /** The other node holding this private id; null when it is ours or recovery does not span nodes. */
    String holderOf(String pid) {
        ClusterBus b = bus;
        int colon = pid.indexOf(':');
        if (b == null || colon <= 0) {
            return null;
        }
        String node = movedTo.getOrDefault(pid, pid.substring(0, colon));
        return node.equals(b.nodeId()) ? null : node;
    }

    /** A socket handed over by another node is ours now. */
    void adopted(String pid) {
        movedTo.remove(pid);
    }

    /** Asks the holder for a socket; completes with null when it cannot be resumed. */
    CompletionStage<Claim> claim(String node, String pid, String offset, String resumeKey) {
        ObjectNode q = Json.MAPPER.createObjectNode().put("pid", pid).put("offset", offset).put("key", resumeKey)
                .put("node", bus.nodeId()).put("hops", 0);
        return bus.request(node, Json.write(q), CLAIM_TIMEOUT_MILLIS).handle((answer, error) -> {
            if (error != null || answer == null || answer.isEmpty()) {
                return null;
            }
            try {
                JsonNode a = Json.MAPPER.readTree(answer);
                if (!a.path("ok").asBoolean(false)) {
                    return null;
                }
                List<String> missed = new ArrayList<>();
                a.path("missed").forEach(m -> missed.add(m.asText()));
                return new Claim(a.path("id").asText(), a.path("next").asLong(), missed, a.get("state"));
            } catch (IOException e) {
                return null;
            }
        });
    }

    /** Another node claims a socket of ours whose client came back there. */
    private CompletionStage<String> handOver(String request) {
        JsonNode q;
        try {
            q = Json.MAPPER.readTree(request);
        } catch (IOException e) {
            return CompletableFuture.completedFuture("");
        }
        String pid = q.path("pid").asText();
        String refused = Json.write(Json.MAPPER.createObjectNode().put("ok", false));
        SocketIoSocket found = unpark(pid);
        boolean parked = found != null;
        SocketIoSocket socket = parked ? found : attached(pid);
        if (socket == null) {
            String next = movedTo.get(pid);
            int hops = q.path("hops").asInt();
            if (next == null || hops >= MAX_HOPS || next.equals(q.path("node").asText())) {
                return CompletableFuture.completedFuture(refused);
            }
            ((ObjectNode) q).put("hops", hops + 1); // it moved on from here: ask where it went
            return bus.request(next, Json.write(q), CLAIM_TIMEOUT_MILLIS).handle((a, e) -> e == null ? a : refused);
        }
        CompletableFuture<String> answer = new CompletableFuture<>();
        SocketIoConnection previous = socket.connection();
        HandOff.execute(previous.executor(), () -> {
            Namespace ns = namespaces.get(socket.nsp());
            String key = ns.resumeKey(socket.principal());
            List<ReplayLog.Entry> missed = key != null && key.equals(q.path("key").asText(null))
                    && socket.pid() != null ? socket.handOver(q.path("offset").asText()) : null;
            if (missed == null) {
                if (parked) {
                    expireNow(socket, "recovery failed");
                }
                answer.complete(refused);
                return;
            }
            if (!parked) {
                previous.release(socket);
            }
            movedTo.put(pid, q.path("node").asText());
            ObjectNode a = Json.MAPPER.createObjectNode().put("ok", true).put("id", socket.id())
                    .put("next", socket.nextOffset());
            ArrayNode texts = a.putArray("missed");
            for (ReplayLog.Entry sent : missed) {
                texts.add(sent.text());
            }
            a.set("state", ns.handOff(socket));
            answer.complete(Json.write(a));
        });
        return answer;
    }

    Namespace namespace(String nsp) {
        return namespaces.get(nsp);
    }

    /** The slot of a served namespace, or -1. */
    int slot(String nsp) {
        Integer slot = slots.get(nsp);
        return slot == null ? -1 : slot;
    }

    int namespaceCount() {
        return slots.size();
    }

    long connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    boolean recovers() {
        return recoveryWindowMillis > 0;
    }

    /** Where recoverable sockets keep what they sent; null without recovery. */
    ReplayLog replayLog() {
        return replayLog;
    }

    int replayLimit() {
        return replayLimit;
    }

    /** Attaches the Socket.IO layer to a new Engine.IO session (the {@code onOpen} of its EngineIoServer). */
    public void attach(EngineIoSession session) {
        session.listener(new SocketIoConnection(this, session));
    }

    /** Keeps a dropped socket for the recovery window; when it expires the namespace sees the disconnect. */
    void park(SocketIoSocket socket, ScheduledExecutorService executor, String reason) {
        socket.detach();
        Parked entry = new Parked(socket);
        parked.put(socket.pid(), entry);
        entry.expiry = executor.schedule(() -> {
            if (parked.remove(socket.pid(), entry)) {
                expireNow(socket, reason);
            }
        }, recoveryWindowMillis, TimeUnit.MILLISECONDS);
    }

    /** Takes a parked socket for a resume; null when unknown or expired. */
    SocketIoSocket unpark(String pid) {
        Parked p = parked.remove(pid);
        if (p == null) {
            return null;
        }
        ScheduledFuture<?> expiry = p.expiry;
        if (expiry != null) {
            expiry.cancel(false);
        }
        return p.socket;
    }

    void register(SocketIoSocket socket) {
        live.put(socket.pid(), socket);
    }

    void forget(SocketIoSocket socket) {
        live.remove(socket.pid(), socket);
    }

    /** A recoverable socket that is still attached to a transport (which the client says is gone). */
    SocketIoSocket attached(String pid) {
        return live.get(pid);
    }

    /** Sockets waiting for their client to resume. */
    public int parkedCount() {
        return parked.size();
    }

    /** Ends a parked socket: the recovery window passed, or a resume failed (identity or offset mismatch). */
    void expireNow(SocketIoSocket socket, String reason) {
        socket.markDisconnected();
        namespaces.get(socket.nsp()).onDisconnect(socket, reason);
    }
}

package dev.lectern.signaling.socketio;

import dev.lectern.signaling.engineio.EngineIoSession;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The namespaces served on one Engine.IO endpoint, the connect timeout and connection state recovery: sockets whose
 * transport dropped are parked here by private id for {@code recoveryWindowMillis} (0 disables recovery).
 */
public final class SocketIoServer {
    private final Map<String, Namespace> namespaces;
    /** Each namespace's slot in a connection's socket array (connections hold an array, not a map). */
    private final Map<String, Integer> slots;
    private final long connectTimeoutMillis;
    private final long recoveryWindowMillis;
    private final long replayMillis;
    private final int replayLimit;
    private final Map<String, Parked> parked = new ConcurrentHashMap<>();
    /** Recoverable sockets that are still attached, by private id: a client may be back before its drop is noticed. */
    private final Map<String, SocketIoSocket> live = new ConcurrentHashMap<>();

    private static final class Parked {
        final SocketIoSocket socket;
        volatile ScheduledFuture<?> expiry;

        Parked(SocketIoSocket socket) {
            this.socket = socket;
        }
    }

    public SocketIoServer(Map<String, Namespace> namespaces, long connectTimeoutMillis) {
        this(namespaces, connectTimeoutMillis, 0, 0, 0);
    }

    /**
     * @param replayMillis how long sent events are kept for a replay (the longest a dead transport can go unnoticed:
     *        ping interval + ping timeout)
     * @param replayLimit the most events kept per socket
     */
    public SocketIoServer(Map<String, Namespace> namespaces, long connectTimeoutMillis, long recoveryWindowMillis,
            long replayMillis, int replayLimit) {
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
        this.replayMillis = replayMillis;
        this.replayLimit = replayLimit;
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

    long replayMillis() {
        return replayMillis;
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

package dev.lectern.signaling.socketio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lectern.core.json.Json;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * One client connected to one namespace. {@link #emit} may be called from any thread.
 *
 * <p>With connection state recovery (a non-null {@link #pid()}), every event carries its offset as the last argument
 * and the recent ones are kept for {@code replayMillis}, so that after an unexpected drop a client that reconnects with
 * {@code {pid, offset}} within the recovery window gets, on its new connection and under the same id, what it missed.
 */
public final class SocketIoSocket {
    private final SocketIoServer server;
    private final String nsp;
    private final String id;
    private final String pid;
    private final Object principal;
    private final long replayNanos;
    private final int replayLimit;
    private SocketIoConnection connection;
    private boolean connected = true;
    private boolean detached;
    private boolean lost;
    private long nextOffset;
    private ArrayDeque<Sent> recent;

    /** A sent event kept for replay, already encoded (a few hundred bytes rather than a JSON tree). */
    record Sent(long offset, long atNanos, String text, List<byte[]> attachments) {}

    SocketIoSocket(SocketIoServer server, SocketIoConnection connection, String nsp, String id, String pid,
            Object principal, long replayMillis, int replayLimit) {
        this.server = server;
        this.connection = connection;
        this.nsp = nsp;
        this.id = id;
        this.pid = pid;
        this.principal = principal;
        this.replayNanos = replayMillis * 1_000_000L;
        this.replayLimit = replayLimit;
    }

    public String id() {
        return id;
    }

    public String nsp() {
        return nsp;
    }

    /** The private id a client resumes with; null without connection state recovery. */
    public String pid() {
        return pid;
    }

    /** What {@link Namespace#authorize} completed with. */
    public Object principal() {
        return principal;
    }

    public synchronized boolean isConnected() {
        return connected;
    }

    synchronized void markDisconnected() {
        connected = false;
        recent = null;
        if (pid != null) {
            server.forget(this);
        }
    }

    synchronized SocketIoConnection connection() {
        return connection;
    }

    public Executor executor() {
        return connection().executor();
    }

    /** Emits an event with JSON arguments. */
    public void emit(String event, JsonNode... args) {
        ArrayNode data = Json.MAPPER.createArrayNode().add(event);
        for (JsonNode a : args) {
            data.add(a);
        }
        emitRaw(data, List.of());
    }

    /** Emits an event whose array (name first) may hold placeholders for {@code attachments}. */
    public void emitRaw(ArrayNode data, List<byte[]> attachments) {
        SocketIoConnection target;
        String text;
        synchronized (this) {
            if (!connected) {
                return;
            }
            if (pid != null) {
                long offset = nextOffset++;
                data.add(Long.toString(offset, 36));
            }
            text = SocketIoPacketCodec.encode(new SocketIoPacket(SocketIoPacket.Type.EVENT, nsp, -1, data, attachments));
            if (pid != null) {
                remember(nextOffset - 1, text, attachments);
            }
            if (detached) {
                return;
            }
            target = connection;
        }
        target.sendEncodedFromAnyThread(text, attachments);
    }

    private void remember(long offset, String text, List<byte[]> attachments) {
        long now = System.nanoTime();
        trim(now);
        if (recent == null) {
            recent = new ArrayDeque<>(4);
        }
        recent.addLast(new Sent(offset, now, text, attachments));
        if (recent.size() > replayLimit) {
            recent.pollFirst();
            if (detached) {
                lost = true; // the client will not be able to catch up: recovery is refused
            }
        }
    }

    private void trim(long now) {
        while (recent != null && !recent.isEmpty() && !detached && now - recent.peekFirst().atNanos > replayNanos) {
            recent.pollFirst();
        }
        if (recent != null && recent.isEmpty()) {
            recent = null;
        }
    }

    /** Drops kept events that are too old to matter (called on each heartbeat so idle sockets keep nothing). */
    synchronized void trimReplay() {
        trim(System.nanoTime());
    }

    /** The transport dropped: keep the socket (and its rooms) and buffer events until it resumes or expires. */
    synchronized void detach() {
        detached = true;
    }

    /**
     * Attaches a new connection if nothing the client missed was lost; returns the packets after {@code offset} to
     * replay, or null when recovery is impossible.
     */
    synchronized List<Sent> resume(SocketIoConnection newConnection, String offset) {
        if (!connected || lost) {
            return null;
        }
        boolean takeOver = !detached;
        detached = true;
        List<Sent> missed = missedSince(offset);
        if (missed == null) {
            detached = !takeOver;
            return null;
        }
        connection = newConnection;
        detached = false;
        return missed;
    }

    private List<Sent> missedSince(String offset) {
        long last;
        try {
            last = Long.parseLong(offset, 36);
        } catch (NumberFormatException e) {
            return null;
        }
        List<Sent> missed = new ArrayList<>();
        if (recent != null) {
            if (!recent.isEmpty() && recent.peekFirst().offset > last + 1) {
                return null; // some of what the client missed is no longer kept
            }
            for (Sent s : recent) {
                if (s.offset > last) {
                    missed.add(s);
                }
            }
        }
        return missed;
    }

    /** Continues the offsets of a socket handed over by another node. */
    synchronized void continueAt(long offset) {
        nextOffset = offset;
    }

    synchronized long nextOffset() {
        return nextOffset;
    }

    /**
     * Hands this socket over to another node: returns what the client missed after {@code offset}, or null when that
     * is no longer complete; on success this copy is done (no more emits, no disconnect callback).
     */
    synchronized List<Sent> handOver(String offset) {
        if (!connected || lost) {
            return null;
        }
        List<Sent> missed = missedSince(offset);
        if (missed != null) {
            connected = false;
            recent = null;
            server.forget(this);
        }
        return missed;
    }

    /** Disconnects this namespace (server side): the client gets a DISCONNECT packet. */
    public void disconnect() {
        SocketIoConnection c = connection();
        c.executor().execute(() -> c.disconnectFromServer(this));
    }

    /** Closes the whole underlying connection. */
    public void closeConnection(String reason) {
        SocketIoConnection c = connection();
        c.executor().execute(() -> c.close(reason));
    }
}

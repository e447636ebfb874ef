package dev.lectern.signaling.socketio;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.lectern.core.json.Json;
import dev.lectern.core.netty.HandOff;
import dev.lectern.signaling.socketio.internal.ReplayLog;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.LongFunction;

/**
 * One client connected to one namespace. {@link #emit} may be called from any thread.
 *
 * <p>With connection state recovery (a non-null {@link #pid()}), every event carries its offset as the last argument
 * and is kept in the server's {@link ReplayLog}, so that after an unexpected drop a client that reconnects with
 * {@code {pid, offset}} within the recovery window gets, on its new connection and under the same id, what it missed.
 */
public final class SocketIoSocket {
    private final SocketIoServer server;
    private final String nsp;
    private final String id;
    private final String pid;
    private final Object principal;
    private final ReplayLog log;
    private final int replayLimit;
    private SocketIoConnection connection;
    private boolean connected = true;
    private boolean detached;
    private long nextOffset;
    /** Where this socket's latest event is in the log; -1 when none is kept. */
    private long latest = -1;
    /** Events below this offset can never be replayed (one was too large for the log). */
    private long replayableFrom;

    SocketIoSocket(SocketIoServer server, SocketIoConnection connection, String nsp, String id, String pid,
            Object principal, ReplayLog log, int replayLimit) {
        this.server = server;
        this.connection = connection;
        this.nsp = nsp;
        this.id = id;
        this.pid = pid;
        this.principal = principal;
        this.log = log;
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
        latest = -1;
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

    /**
     * Emits an event with JSON arguments. The packet's text is written from its parts, as {@link #emitRaw} would
     * encode it, without an array node: an argument that is raw JSON already (a room event from another node, as it
     * came) is copied as it is, without a serialiser.
     */
    public void emit(String event, JsonNode... args) {
        StringBuilder head = eventHead(nsp, event, args);
        deliver(offset -> offset < 0 ? head.append(']').toString()
                : head.append(",\"").append(Long.toString(offset, 36)).append("\"]").toString(), List.of());
    }

    /**
     * An EVENT packet's text up to the end of its arguments: {@code 2[nsp,]["event",arg…} (no closing bracket, so
     * that a recovery offset can follow), as {@link SocketIoPacketCodec#encode} writes it.
     */
    static StringBuilder eventHead(String nsp, String event, JsonNode... args) {
        StringBuilder head = new StringBuilder(64);
        head.append((char) ('0' + SocketIoPacket.Type.EVENT.ordinal()));
        if (!SocketIoPacket.ROOT.equals(nsp)) {
            head.append(nsp).append(',');
        }
        head.append("[\"");
        JsonStringEncoder.getInstance().quoteAsString(event, head);
        head.append('"');
        for (JsonNode a : args) {
            head.append(',');
            if (a instanceof POJONode p && p.getPojo() instanceof RawValue raw && raw.rawValue() instanceof String s) {
                head.append(s);
            } else {
                head.append(Json.write(a == null ? NullNode.getInstance() : a));
            }
        }
        return head;
    }

    /** Emits an event whose array (name first) may hold placeholders for {@code attachments}. */
    public void emitRaw(ArrayNode data, List<byte[]> attachments) {
        deliver(offset -> {
            if (offset >= 0) {
                data.add(Long.toString(offset, 36));
            }
            return SocketIoPacketCodec.encode(new SocketIoPacket(SocketIoPacket.Type.EVENT, nsp, -1, data,
                    attachments));
        }, attachments);
    }

    /**
     * Sends an EVENT packet whose text {@code encode} makes, given the recovery offset it gets (-1 without recovery),
     * and keeps it for recovery; nothing when disconnected.
     */
    private void deliver(LongFunction<String> encode, List<byte[]> attachments) {
        SocketIoConnection target;
        String text;
        synchronized (this) {
            if (!connected) {
                return;
            }
            long offset = pid != null ? nextOffset++ : -1;
            text = encode.apply(offset);
            if (offset >= 0) {
                remember(offset, text, attachments);
            }
            if (detached) {
                return;
            }
            target = connection;
        }
        target.sendEncodedFromAnyThread(text, attachments);
    }

    private void remember(long offset, String text, List<byte[]> attachments) {
        latest = log.append(latest, offset, text, attachments, System.nanoTime());
        if (latest < 0) {
            replayableFrom = offset + 1; // too large to keep: a client that missed it cannot recover
        }
    }

    /** The transport dropped: keep the socket (and its rooms) and buffer events until it resumes or expires. */
    synchronized void detach() {
        detached = true;
    }

    /**
     * Attaches a new connection if nothing the client missed was lost; returns the packets after {@code offset} to
     * replay, or null when recovery is impossible.
     */
    synchronized List<ReplayLog.Entry> resume(SocketIoConnection newConnection, String offset) {
        if (!connected) {
            return null;
        }
        boolean takeOver = !detached;
        detached = true;
        List<ReplayLog.Entry> missed = missedSince(offset);
        if (missed == null) {
            detached = !takeOver;
            return null;
        }
        connection = newConnection;
        detached = false;
        return missed;
    }

    /** The events after {@code offset} (the last one the client got), or null when they are not all kept. */
    private List<ReplayLog.Entry> missedSince(String offset) {
        long last;
        try {
            last = Long.parseLong(offset, 36);
        } catch (NumberFormatException e) {
            return null;
        }
        long count = nextOffset - 1 - last;
        if (count < 0 || count > replayLimit || last + 1 < replayableFrom) {
            return null; // an offset never sent, more than a replay may hold, or something no longer kept
        }
        return count == 0 ? List.of() : log.read(latest, (int) count);
    }

    /** Continues the offsets of a socket handed over by another node. */
    synchronized void continueAt(long offset) {
        nextOffset = offset;
        replayableFrom = offset; // what was sent before stays with the other node
    }

    synchronized long nextOffset() {
        return nextOffset;
    }

    /**
     * Hands this socket over to another node: returns what the client missed after {@code offset}, or null when that
     * is no longer complete; on success this copy is done (no more emits, no disconnect callback).
     */
    synchronized List<ReplayLog.Entry> handOver(String offset) {
        if (!connected) {
            return null;
        }
        List<ReplayLog.Entry> missed = missedSince(offset);
        if (missed != null) {
            connected = false;
            latest = -1;
            server.forget(this);
        }
        return missed;
    }

    /** Disconnects this namespace (server side): the client gets a DISCONNECT packet. */
    public void disconnect() {
        SocketIoConnection c = connection();
        HandOff.execute(c.executor(), () -> c.disconnectFromServer(this));
    }

    /** Disconnects this namespace and closes the underlying connection when no other namespace is left on it. */
    public void disconnectAndClose() {
        SocketIoConnection c = connection();
        HandOff.execute(c.executor(), () -> {
            c.disconnectFromServer(this);
            c.closeIfUnused();
        });
    }
}

package dev.lectern.signaling.engineio;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Engine.IO v4 session: heartbeat (server pings), the polling buffer, the polling → WebSocket upgrade and close.
 * Plain Java: every method must run on {@link #executor()} (the event loop the session was created on), which is
 * also where its timers run; transports hop there with {@code executor().execute(...)}.
 */
public final class EngineIoSession {
    /** What the layer above (Socket.IO, or the echo fixture) gets. */
    public interface Listener {
        void onMessage(EngineIoSession session, EngineIoPacket packet);

        void onClose(EngineIoSession session, String reason);

        /** The client answered a ping (a moment to drop state that has aged out). */
        default void onHeartbeat(EngineIoSession session) { }
    }

    private enum Mode { POLLING, WEBSOCKET, CLOSED }

    private final String sid;
    private final ScheduledExecutorService executor;
    private final EngineIoServer server;
    private Listener listener;
    private Mode mode;
    private EngineIoTransport ws;
    private EngineIoTransport probe;
    private boolean probed;
    private PollRequest pendingPoll;
    /** Packets waiting for the next poll; created on first use (WebSocket-only sessions never need it). */
    private ArrayDeque<EngineIoPacket> outbox;
    /** The rough size of {@link #outbox} in bytes ({@link EngineIoPacket#size()}). */
    private long outboxBytes;
    /** The one pending heartbeat timer: the next ping, or, while {@link #awaitingPong}, the pong deadline. */
    private ScheduledFuture<?> heartbeat;
    private boolean awaitingPong;
    private ScheduledFuture<?> upgradeTimeoutTask;
    private int unwritableSends;
    /** The address key this session is counted under while it has not connected to a namespace; null after. */
    String unconnectedKey;
    /** The {@code Cookie} header of the handshake request (a guest's cookie), or null. */
    volatile String handshakeCookie;

    EngineIoSession(String sid, ScheduledExecutorService executor, EngineIoServer server, EngineIoTransport websocket) {
        this.sid = sid;
        this.executor = executor;
        this.server = server;
        this.ws = websocket;
        this.mode = websocket == null ? Mode.POLLING : Mode.WEBSOCKET;
    }

    public String sid() {
        return sid;
    }

    /** The {@code Cookie} header the client sent with its handshake, or null (a guest's signed cookie may be in it). */
    public String handshakeCookie() {
        return handshakeCookie;
    }

    /** The largest packet the server accepts (also the most one Socket.IO packet's attachments may add up to). */
    public int maxPayloadBytes() {
        return server.maxPayloadBytes();
    }

    /** The layer above accepted the client (a namespace CONNECT succeeded): it no longer counts as unconnected. */
    public void connected() {
        String key = unconnectedKey;
        if (key != null) {
            unconnectedKey = null;
            server.release(key);
        }
    }

    public ScheduledExecutorService executor() {
        return executor;
    }

    public boolean isOpen() {
        return mode != Mode.CLOSED;
    }

    public boolean isWebSocket() {
        return mode == Mode.WEBSOCKET;
    }

    public void listener(Listener listener) {
        this.listener = listener;
    }

    void start() {
        schedulePing();
    }

    private void schedulePing() {
        awaitingPong = false;
        heartbeat = executor.schedule(this::onHeartbeatTimer, server.pingIntervalMillis(), TimeUnit.MILLISECONDS);
    }

    /** Time to ping, or the ping went unanswered. One timer per session, re-armed rather than paired. */
    private void onHeartbeatTimer() {
        heartbeat = null;
        if (mode == Mode.CLOSED) {
            return;
        }
        if (awaitingPong) {
            close("ping timeout", false);
            return;
        }
        send(EngineIoPacket.PING);
        if (mode != Mode.CLOSED) {
            awaitingPong = true;
            heartbeat = executor.schedule(this::onHeartbeatTimer, server.pingTimeoutMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // ---- outbound

    /** Queues or writes a packet; a session whose queue overflows is closed as a slow consumer. */
    public void send(EngineIoPacket packet) {
        send(List.of(packet));
    }

    public void send(List<EngineIoPacket> packets) {
        if (mode == Mode.CLOSED) {
            return;
        }
        if (mode == Mode.WEBSOCKET) {
            if (ws.send(packets)) {
                unwritableSends = 0;
            } else if ((unwritableSends += packets.size()) > server.outboundQueueLimit()
                    || ws.pendingBytes() > server.outboundQueueBytes()) {
                server.countSlowConsumer();
                close("slow consumer", false);
            }
            return;
        }
        if (outbox == null) {
            outbox = new ArrayDeque<>(4);
        }
        outbox.addAll(packets);
        for (EngineIoPacket p : packets) {
            outboxBytes += p.size();
        }
        if (outbox.size() > server.outboundQueueLimit() || outboxBytes > server.outboundQueueBytes()) {
            server.countSlowConsumer();
            close("slow consumer", false);
            return;
        }
        flushPoll();
    }

    private void flushPoll() {
        if (pendingPoll != null && !outboxEmpty()) {
            PollRequest poll = pendingPoll;
            pendingPoll = null;
            List<EngineIoPacket> batch = new ArrayList<>(outbox);
            outbox.clear();
            outboxBytes = 0;
            poll.respond(EngineIoPacketCodec.encodePayload(batch));
        }
    }

    // ---- polling

    /** A GET with this sid. */
    public void onPoll(PollRequest poll) {
        if (mode == Mode.CLOSED && server.takeLatePollOfClosed(sid)) {
            poll.respond(EngineIoPacketCodec.encodePayload(List.of(EngineIoPacket.NOOP)));
            return;
        }
        if (mode != Mode.POLLING) {
            poll.reject(400, "Bad request");
            return;
        }
        if (pendingPoll != null) {
            poll.reject(400, "overlapping poll request");
            close("transport error", true);
            return;
        }
        pendingPoll = poll;
        if (outboxEmpty() && probed) {
            pendingPoll = null;
            poll.respond(EngineIoPacketCodec.encodePayload(List.of(EngineIoPacket.NOOP)));
            return;
        }
        flushPoll();
    }

    /** The connection of a pending GET went away before it was answered. */
    public void onPollAborted(PollRequest poll) {
        if (pendingPoll == poll) {
            pendingPoll = null;
            close("transport close", false);
        }
    }

    /** A POST body with this sid; returns the HTTP status to answer with (200 "ok", or 400 after closing). */
    public int onPost(String body) {
        if (mode != Mode.POLLING) {
            return 400;
        }
        List<EngineIoPacket> packets;
        try {
            packets = EngineIoPacketCodec.decodePayload(body);
        } catch (EngineIoException e) {
            close("parse error", false);
            return 400;
        }
        for (EngineIoPacket p : packets) {
            if (mode == Mode.CLOSED) {
                break;
            }
            onPacket(p, null);
        }
        return 200;
    }

    // ---- WebSocket

    /** A WebSocket opened with this sid, wanting to upgrade; false when it must be closed at once. */
    public boolean onUpgradeRequest(EngineIoTransport socket) {
        if (mode != Mode.POLLING || probe != null) {
            return false;
        }
        probe = socket;
        upgradeTimeoutTask = executor.schedule(() -> {
            if (probe == socket) {
                probe = null;
                probed = false;
                socket.close();
            }
        }, server.upgradeTimeoutMillis(), TimeUnit.MILLISECONDS);
        return true;
    }

    /** A packet (or parse failure) from a WebSocket bound to this session. */
    public void onWebSocketPacket(EngineIoTransport socket, EngineIoPacket packet) {
        if (socket == ws) {
            onPacket(packet, socket);
        } else if (socket == probe) {
            onProbePacket(socket, packet);
        } else {
            socket.close();
        }
    }

    public void onWebSocketError(EngineIoTransport socket, String reason) {
        if (socket == ws) {
            close(reason, false);
        } else {
            socket.close();
            onWebSocketClosed(socket);
        }
    }

    public void onWebSocketClosed(EngineIoTransport socket) {
        if (socket == ws) {
            ws = null;
            close("transport close", false);
        } else if (socket == probe) {
            probe = null;
            probed = false;
            cancel(upgradeTimeoutTask);
        }
    }

    private void onProbePacket(EngineIoTransport socket, EngineIoPacket packet) {
        if (packet.type() == EngineIoPacket.Type.PING && "probe".equals(packet.text()) && !packet.isBinary()) {
            socket.send(List.of(EngineIoPacket.PROBE_PONG));
            probed = true;
            if (pendingPoll != null && outboxEmpty()) {
                PollRequest poll = pendingPoll;
                pendingPoll = null;
                poll.respond(EngineIoPacketCodec.encodePayload(List.of(EngineIoPacket.NOOP)));
            }
        } else if (packet.type() == EngineIoPacket.Type.UPGRADE && probed) {
            cancel(upgradeTimeoutTask);
            upgradeTimeoutTask = null;
            probe = null;
            ws = socket;
            mode = Mode.WEBSOCKET;
            List<EngineIoPacket> rest = outbox == null ? List.of() : new ArrayList<>(outbox);
            outbox = null;
            outboxBytes = 0;
            if (pendingPoll != null) {
                PollRequest poll = pendingPoll;
                pendingPoll = null;
                poll.respond(EngineIoPacketCodec.encodePayload(List.of(EngineIoPacket.NOOP)));
            }
            if (!rest.isEmpty()) {
                send(rest);
            }
        } else {
            probe = null;
            probed = false;
            cancel(upgradeTimeoutTask);
            socket.close();
        }
    }

    // ---- inbound packets from the active transport

    private void onPacket(EngineIoPacket packet, EngineIoTransport socket) {
        switch (packet.type()) {
            case PONG -> {
                cancel(heartbeat);
                schedulePing();
                if (listener != null) {
                    listener.onHeartbeat(this);
                }
            }
            case MESSAGE -> {
                if (listener != null) {
                    listener.onMessage(this, packet);
                }
            }
            case CLOSE -> {
                if (mode == Mode.POLLING && pendingPoll == null) {
                    server.closedByClientWithoutPoll(this);
                }
                close("client close", false);
            }
            case PING -> {
                // v3 clients ping; v4 clients never do, but answering is harmless.
                send(new EngineIoPacket(EngineIoPacket.Type.PONG, packet.text(), null));
            }
            case NOOP -> { }
            default -> close("parse error", false);
        }
    }

    // ---- close

    /** Closes the session; with {@code notify} the client is sent a close packet first. */
    public void close(String reason, boolean notify) {
        if (mode == Mode.CLOSED) {
            return;
        }
        Mode was = mode;
        mode = Mode.CLOSED;
        cancel(heartbeat);
        heartbeat = null;
        cancel(upgradeTimeoutTask);
        upgradeTimeoutTask = null;
        if (probe != null) {
            probe.close();
            probe = null;
        }
        if (was == Mode.WEBSOCKET && ws != null) {
            if (notify) {
                ws.send(List.of(EngineIoPacket.CLOSE));
            }
            ws.close();
        } else if (pendingPoll != null) {
            PollRequest poll = pendingPoll;
            pendingPoll = null;
            poll.respond(EngineIoPacketCodec.encodePayload(List.of(notify ? EngineIoPacket.CLOSE : EngineIoPacket.NOOP)));
        }
        outbox = null;
        outboxBytes = 0;
        connected(); // stops counting it
        server.remove(this);
        if (listener != null) {
            listener.onClose(this, reason);
        }
    }

    private boolean outboxEmpty() {
        return outbox == null || outbox.isEmpty();
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }
}

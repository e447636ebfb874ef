package dev.lectern.signaling.socketio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.json.Json;
import dev.lectern.core.netty.HandOff;
import dev.lectern.core.util.Futures;
import dev.lectern.signaling.engineio.EngineIoPacket;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.signaling.engineio.EngineIoSession;
import dev.lectern.signaling.socketio.SocketIoPacket.Type;
import dev.lectern.signaling.socketio.internal.ReplayLog;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Socket.IO v5 layer over one Engine.IO session: namespace CONNECT / CONNECT_ERROR, binary reassembly, events,
 * acks, DISCONNECT and the connect timeout. Runs on the session's executor; a malformed packet closes the session, as
 * does a binary packet for a namespace not connected, or attachments adding up to more than the payload limit.
 */
final class SocketIoConnection implements EngineIoSession.Listener {
    private static final Logger logger = LoggerFactory.getLogger(SocketIoConnection.class);

    private final SocketIoServer server;
    private final EngineIoSession session;
    /** The connected socket of each namespace, by {@link SocketIoServer#slot}: an array, not a map (memory). */
    private final SocketIoSocket[] sockets;
    /** Namespaces whose CONNECT is being authorised, one bit per slot. */
    private long connecting;
    private ScheduledFuture<?> connectTimeout;
    private SocketIoPacket partial;
    private int partialExpected;
    private List<byte[]> partialParts;
    /** The bytes of {@link #partialParts} so far: together they may not exceed the session's payload limit. */
    private long partialBytes;
    /** The executor's thread (an event loop is one thread); the constructor runs on it. */
    private final Thread owner = Thread.currentThread();

    SocketIoConnection(SocketIoServer server, EngineIoSession session) {
        this.server = server;
        this.session = session;
        this.sockets = new SocketIoSocket[server.namespaceCount()];
        this.connectTimeout = session.executor().schedule(() -> {
            if (noSockets()) {
                close("connect timeout");
            }
        }, server.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    Executor executor() {
        return session.executor();
    }

    @Override
    public void onMessage(EngineIoSession s, EngineIoPacket packet) {
        try {
            if (packet.isBinary()) {
                if (partial == null) {
                    throw new SocketIoException("unexpected binary attachment");
                }
                partialBytes += packet.binary().length;
                if (partialBytes > session.maxPayloadBytes()) {
                    throw new SocketIoException("binary attachments exceed " + session.maxPayloadBytes() + " bytes");
                }
                partialParts.add(packet.binary());
                if (partialParts.size() == partialExpected) {
                    SocketIoPacket complete = partial.withAttachments(partialParts);
                    partial = null;
                    partialParts = null;
                    dispatch(complete);
                }
                return;
            }
            if (partial != null) {
                throw new SocketIoException("text packet while awaiting binary attachments");
            }
            SocketIoPacketCodec.Decoded decoded = SocketIoPacketCodec.decode(packet.text());
            if (decoded.attachmentCount() > 0) {
                if (socket(decoded.packet().nsp()) == null) {
                    // nothing binary is held for a client that has not connected to the namespace
                    throw new SocketIoException("binary packet before the namespace CONNECT");
                }
                partial = decoded.packet();
                partialBytes = 0;
                partialExpected = decoded.attachmentCount();
                partialParts = new ArrayList<>(partialExpected);
                return;
            }
            dispatch(decoded.packet());
        } catch (SocketIoException e) {
            logger.debug("session {}: malformed packet: {}", session.sid(), e.getMessage());
            close("parse error");
        }
    }

    private void dispatch(SocketIoPacket p) {
        switch (p.type()) {
            case CONNECT -> onConnect(p);
            case DISCONNECT -> {
                SocketIoSocket socket = removeSocket(p.nsp(), null);
                if (socket != null && socket.connection() == this) {
                    socket.markDisconnected();
                    server.namespace(p.nsp()).onDisconnect(socket, "client namespace disconnect");
                }
            }
            case EVENT, BINARY_EVENT -> onEvent(p);
            case ACK, BINARY_ACK -> { } // the server emits no events that expect acks
            case CONNECT_ERROR -> throw new SocketIoException("CONNECT_ERROR from a client");
        }
    }

    private void onConnect(SocketIoPacket p) {
        String nsp = p.nsp();
        Namespace ns = server.namespace(nsp);
        if (ns == null) {
            send(connectError(nsp, "Invalid namespace"));
            return;
        }
        long bit = 1L << server.slot(nsp);
        if (socket(nsp) != null || (connecting & bit) != 0) {
            return;
        }
        JsonNode auth = p.data() == null ? Json.MAPPER.createObjectNode() : p.data();
        connecting |= bit;
        ns.authorize(auth, session.handshakeCookie()).whenComplete((principal, error) -> session.executor().execute(() -> {
            connecting &= ~bit;
            if (!session.isOpen()) {
                return;
            }
            if (error != null) {
                Throwable cause = Futures.unwrap(error);
                String message = cause instanceof ConnectRefusedException ? cause.getMessage() : "unauthorized";
                if (!(cause instanceof ConnectRefusedException)) {
                    logger.debug("session {}: connect to {} refused", session.sid(), nsp, cause);
                }
                send(connectError(nsp, message));
                return;
            }
            if (connectTimeout != null) {
                connectTimeout.cancel(false);
                connectTimeout = null;
            }
            session.connected();
            if (resume(ns, nsp, auth, principal) || resumeFromAnotherNode(ns, nsp, auth, principal)) {
                return;
            }
            connectNew(ns, nsp, auth, principal);
        }));
    }

    private void connectNew(Namespace ns, String nsp, JsonNode auth, Object principal) {
        String pid = server.recovers() && ns.canResume(principal, principal) ? server.newPid() : null;
        SocketIoSocket socket = new SocketIoSocket(server, this, nsp, EngineIoServer.newId(), pid, principal,
                server.replayLog(), server.replayLimit());
        if (pid != null) {
            server.register(socket);
        }
        sockets[server.slot(nsp)] = socket;
        send(connectReply(socket));
        ns.onConnect(socket, auth);
    }

    /**
     * Connection state recovery across nodes: the private id names another node, which is asked to hand the socket
     * over. Meanwhile the CONNECT waits; when the holder refuses or does not answer, the client gets a new socket.
     */
    private boolean resumeFromAnotherNode(Namespace ns, String nsp, JsonNode auth, Object principal) {
        JsonNode pid = auth.get("pid");
        JsonNode offset = auth.get("offset");
        if (!server.recovers() || pid == null || !pid.isTextual() || offset == null || !offset.isTextual()) {
            return false;
        }
        String holder = server.holderOf(pid.asText());
        String key = ns.resumeKey(principal);
        if (holder == null || key == null) {
            return false;
        }
        long bit = 1L << server.slot(nsp);
        connecting |= bit;
        server.claim(holder, pid.asText(), offset.asText(), key).whenComplete((claim, e) ->
                session.executor().execute(() -> {
                    connecting &= ~bit;
                    if (claim == null) {
                        if (session.isOpen()) {
                            connectNew(ns, nsp, auth, principal);
                        }
                        return;
                    }
                    SocketIoSocket socket = new SocketIoSocket(server, this, nsp, claim.id(), pid.asText(), principal,
                            server.replayLog(), server.replayLimit());
                    socket.continueAt(claim.nextOffset());
                    server.adopted(pid.asText());
                    server.register(socket);
                    sockets[server.slot(nsp)] = socket;
                    send(connectReply(socket));
                    for (String missed : claim.missed()) {
                        sendEncoded(missed, List.of());
                    }
                    ns.takeOver(socket, claim.state());
                    logger.debug("session {}: socket {} recovered from node {}, {} packets replayed", session.sid(),
                            socket.id(), holder, claim.missed().size());
                    if (!session.isOpen()) { // gone while the holder answered: an ordinary disconnect now
                        onClose(session, "transport close");
                    }
                }));
        return true;
    }

    /** Connection state recovery: {@code {pid, offset}} in the auth payload of a client that dropped. */
    private boolean resume(Namespace ns, String nsp, JsonNode auth, Object principal) {
        JsonNode pid = auth.get("pid");
        JsonNode offset = auth.get("offset");
        if (!server.recovers() || pid == null || !pid.isTextual() || offset == null || !offset.isTextual()) {
            return false;
        }
        SocketIoSocket socket = server.unpark(pid.asText());
        boolean parked = socket != null;
        if (!parked) {
            socket = server.attached(pid.asText()); // back before the drop was noticed: take the socket over
            if (socket == null || socket.connection() == this) {
                return false;
            }
        }
        boolean sameClient = socket.nsp().equals(nsp) && ns.canResume(socket.principal(), principal);
        SocketIoConnection previous = socket.connection();
        List<ReplayLog.Entry> missed = sameClient ? socket.resume(this, offset.asText()) : null;
        if (missed == null) {
            if (parked) {
                server.expireNow(socket, "recovery failed");
            }
            return false;
        }
        if (!parked) {
            SocketIoSocket taken = socket;
            HandOff.execute(previous.executor(), () -> previous.release(taken));
        }
        sockets[server.slot(nsp)] = socket;
        send(connectReply(socket));
        for (ReplayLog.Entry sent : missed) {
            sendEncoded(sent.text(), sent.attachments());
        }
        logger.debug("session {}: socket {} recovered, {} packets replayed", session.sid(), socket.id(), missed.size());
        return true;
    }

    private static SocketIoPacket connectReply(SocketIoSocket socket) {
        ObjectNode reply = Json.MAPPER.createObjectNode().put("sid", socket.id());
        if (socket.pid() != null) {
            reply.put("pid", socket.pid());
        }
        return new SocketIoPacket(Type.CONNECT, socket.nsp(), -1, reply);
    }

    private static SocketIoPacket connectError(String nsp, String message) {
        return new SocketIoPacket(Type.CONNECT_ERROR, nsp, -1, Json.MAPPER.createObjectNode().put("message", message));
    }

    private void onEvent(SocketIoPacket p) {
        SocketIoSocket socket = socket(p.nsp());
        if (socket == null) {
            return; // not connected to that namespace: dropped, as the reference server does
        }
        ArrayNode data = (ArrayNode) p.data();
        JsonNode name = data.get(0);
        ArrayNode args = Json.MAPPER.createArrayNode();
        for (int i = 1; i < data.size(); i++) {
            args.add(data.get(i));
        }
        Namespace.Ack ack = null;
        if (p.hasAck()) {
            AtomicBoolean sent = new AtomicBoolean();
            long id = p.id();
            String nsp = p.nsp();
            ack = (ackArgs, attachments) -> {
                if (sent.compareAndSet(false, true)) {
                    sendEncodedFromAnyThread(SocketIoPacketCodec.encode(
                            new SocketIoPacket(Type.ACK, nsp, id, ackArgs, attachments)), attachments);
                }
            };
        }
        server.namespace(p.nsp()).onEvent(socket, name.asText(), args, p.attachments(), ack);
    }

    void send(SocketIoPacket p) {
        sendEncoded(SocketIoPacketCodec.encode(p), p.attachments());
    }

    void sendEncodedFromAnyThread(String text, List<byte[]> attachments) {
        if (Thread.currentThread() == owner) {
            sendEncoded(text, attachments);
        } else {
            HandOff.execute(session.executor(), () -> sendEncoded(text, attachments));
        }
    }

    private void sendEncoded(String text, List<byte[]> attachments) {
        if (attachments.isEmpty()) {
            session.send(EngineIoPacket.message(text));
            return;
        }
        List<EngineIoPacket> packets = new ArrayList<>(1 + attachments.size());
        packets.add(EngineIoPacket.message(text));
        for (byte[] part : attachments) {
            packets.add(EngineIoPacket.binary(part));
        }
        session.send(packets);
    }


    void disconnectFromServer(SocketIoSocket socket) {
        if (removeSocket(socket.nsp(), socket) != null) {
            socket.markDisconnected();
            send(new SocketIoPacket(Type.DISCONNECT, socket.nsp(), -1, null));
            server.namespace(socket.nsp()).onDisconnect(socket, "server namespace disconnect");
        }
    }

    /** Closes the connection when no namespace is connected on it. */
    void closeIfUnused() {
        if (noSockets()) {
            close("server disconnect");
        }
    }

    /** A socket resumed on another connection: this one lets go of it, and closes if nothing else is left. */
    void release(SocketIoSocket socket) {
        removeSocket(socket.nsp(), socket);
        if (noSockets()) {
            close("transport taken over");
        }
    }

    private SocketIoSocket socket(String nsp) {
        int slot = server.slot(nsp);
        return slot < 0 ? null : sockets[slot];
    }

    /** Removes the namespace's socket (only if it is {@code expected}, when given); returns what was removed. */
    private SocketIoSocket removeSocket(String nsp, SocketIoSocket expected) {
        int slot = server.slot(nsp);
        SocketIoSocket current = slot < 0 ? null : sockets[slot];
        if (current == null || (expected != null && current != expected)) {
            return null;
        }
        sockets[slot] = null;
        return current;
    }

    private boolean noSockets() {
        for (SocketIoSocket socket : sockets) {
            if (socket != null) {
                return false;
            }
        }
        return true;
    }

    void close(String reason) {
        session.close(reason, false);
    }

    @Override
    public void onHeartbeat(EngineIoSession s) {
        ReplayLog log = server.replayLog();
        if (log != null) {
            log.expireNow(System.nanoTime()); // an idle server gives its replay buffer back too
        }
    }

    @Override
    public void onClose(EngineIoSession s, String reason) {
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
        }
        boolean recoverable = server.recovers() && ("transport close".equals(reason) || "ping timeout".equals(reason));
        SocketIoSocket[] all = sockets.clone();
        Arrays.fill(sockets, null);
        for (SocketIoSocket socket : all) {
            if (socket == null || socket.connection() != this) {
                continue; // resumed elsewhere in the meantime
            }
            if (recoverable && socket.pid() != null) {
                server.park(socket, session.executor(), reason);
            } else {
                socket.markDisconnected();
                server.namespace(socket.nsp()).onDisconnect(socket, reason);
            }
        }
    }
}

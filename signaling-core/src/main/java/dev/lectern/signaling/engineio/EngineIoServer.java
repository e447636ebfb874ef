package dev.lectern.signaling.engineio;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.json.Json;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** The Engine.IO v4 sessions of one endpoint: creation (handshake), lookup by sid, timings and limits. */
public final class EngineIoServer {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final long pingIntervalMillis;
    private final long pingTimeoutMillis;
    private final long upgradeTimeoutMillis;
    private final int maxPayloadBytes;
    private final int outboundQueueLimit;
    private volatile long outboundQueueBytes = Long.MAX_VALUE;
    private volatile HandshakeGate handshakeGate = HandshakeGate.OPEN;
    private final Consumer<EngineIoSession> onOpen;
    private final Map<String, EngineIoSession> sessions = new ConcurrentHashMap<>();
    /**
     * Sids of sessions the client closed with a {@code 1} posted while no poll was pending: a GET sent together with
     * that POST on another connection may be read after it, and gets the noop it would have had. Kept for one ping
     * interval + timeout (the longest a poll can be in flight), on the session's own timer.
     */
    private final Set<String> closedByClient = ConcurrentHashMap.newKeySet();
    private static final int MAX_CLOSED_REMEMBERED = 10_000;
    private final AtomicLong slowConsumers;
    /** Sessions that have not connected to a namespace yet: in all, and by client address (IPv6 by /64). */
    private final int maxUnconnected;
    private final int maxUnconnectedPerAddress;
    private final java.util.concurrent.atomic.AtomicInteger unconnected = new java.util.concurrent.atomic.AtomicInteger();
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> unconnectedByAddress =
            new ConcurrentHashMap<>();

    /**
     * @param onOpen called on the session's executor right after the handshake, to attach the layer above
     * @param slowConsumers counter shared by all endpoints (a metric)
     */
    public EngineIoServer(long pingIntervalMillis, long pingTimeoutMillis, long upgradeTimeoutMillis,
            int maxPayloadBytes, int outboundQueueLimit, AtomicLong slowConsumers, Consumer<EngineIoSession> onOpen) {
        this(pingIntervalMillis, pingTimeoutMillis, upgradeTimeoutMillis, maxPayloadBytes, outboundQueueLimit,
                slowConsumers, onOpen, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * @param maxUnconnected           sessions without a namespace CONNECT at once; beyond, handshakes are refused
     * @param maxUnconnectedPerAddress the same per client address
     */
    public EngineIoServer(long pingIntervalMillis, long pingTimeoutMillis, long upgradeTimeoutMillis,
            int maxPayloadBytes, int outboundQueueLimit, AtomicLong slowConsumers, Consumer<EngineIoSession> onOpen,
            int maxUnconnected, int maxUnconnectedPerAddress) {
        this.maxUnconnected = maxUnconnected;
        this.maxUnconnectedPerAddress = maxUnconnectedPerAddress;
        this.pingIntervalMillis = pingIntervalMillis;
        this.pingTimeoutMillis = pingTimeoutMillis;
        this.upgradeTimeoutMillis = upgradeTimeoutMillis;
        this.maxPayloadBytes = maxPayloadBytes;
        this.outboundQueueLimit = outboundQueueLimit;
        this.slowConsumers = slowConsumers;
        this.onOpen = onOpen;
    }

    /** A 20-character URL-safe base64 id from 15 random bytes. */
    public static String newId() {
        byte[] b = new byte[15];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * Opens a session (must run on {@code executor}): polling when {@code websocket} is null. Returns the session
     * and its open packet, which the caller sends first (the polling response body, or the first WebSocket frame).
     */
    public Opened open(ScheduledExecutorService executor, EngineIoTransport websocket) {
        return open(executor, websocket, null);
    }

    /**
     * As {@link #open(ScheduledExecutorService, EngineIoTransport)} for a client at {@code address}; null when too
     * many sessions (in all, or of that address) have not connected to a namespace yet: the caller refuses it.
     */
    public Opened open(ScheduledExecutorService executor, EngineIoTransport websocket, String address) {
        return open(executor, websocket, address, null);
    }

    /** As {@link #open(ScheduledExecutorService, EngineIoTransport, String)}, keeping the handshake's cookie header. */
    public Opened open(ScheduledExecutorService executor, EngineIoTransport websocket, String address, String cookie) {
        String key = address == null ? "-" : dev.lectern.core.net.ClientAddresses.limitKey(address);
        if (!admit(key)) {
            return null;
        }
        String sid = newId();
        EngineIoSession session = new EngineIoSession(sid, executor, this, websocket);
        session.unconnectedKey = key;
        session.handshakeCookie = cookie;
        sessions.put(sid, session);
        ObjectNode handshake = Json.MAPPER.createObjectNode();
        handshake.put("sid", sid);
        handshake.putArray("upgrades");
        if (websocket == null) {
            handshake.withArray("upgrades").add("websocket");
        }
        handshake.put("pingInterval", pingIntervalMillis);
        handshake.put("pingTimeout", pingTimeoutMillis);
        handshake.put("maxPayload", maxPayloadBytes);
        EngineIoPacket open = new EngineIoPacket(EngineIoPacket.Type.OPEN, Json.write(handshake), null);
        session.start();
        return new Opened(session, open);
    }

    /** Attaches the layer above; call after the open packet has been written. */
    public void opened(EngineIoSession session) {
        onOpen.accept(session);
    }

    public EngineIoSession get(String sid) {
        return sid == null ? null : sessions.get(sid);
    }

    private boolean admit(String key) {
        if (unconnected.incrementAndGet() > maxUnconnected) {
            unconnected.decrementAndGet();
            return false;
        }
        java.util.concurrent.atomic.AtomicInteger n = unconnectedByAddress.computeIfAbsent(key,
                k -> new java.util.concurrent.atomic.AtomicInteger());
        if (n.incrementAndGet() > maxUnconnectedPerAddress) {
            release(key);
            return false;
        }
        return true;
    }

    /** A session connected to a namespace, or closed, before: it no longer counts as unconnected. */
    void release(String key) {
        unconnected.decrementAndGet();
        unconnectedByAddress.computeIfPresent(key, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Sessions that have not connected to a namespace (yet). */
    public int unconnected() {
        return unconnected.get();
    }

    void remove(EngineIoSession session) {
        sessions.remove(session.sid(), session);
    }

    /** Remembers for a while that the client closed this session while no poll was pending. */
    void closedByClientWithoutPoll(EngineIoSession session) {
        String sid = session.sid();
        if (closedByClient.size() < MAX_CLOSED_REMEMBERED && closedByClient.add(sid)) {
            session.executor().schedule(() -> closedByClient.remove(sid), pingIntervalMillis + pingTimeoutMillis,
                    TimeUnit.MILLISECONDS);
        }
    }

    /** True once for a poll with the sid of a session its client has just closed (see {@link #closedByClient}). */
    public boolean takeLatePollOfClosed(String sid) {
        return sid != null && closedByClient.remove(sid);
    }

    void countSlowConsumer() {
        slowConsumers.incrementAndGet();
    }

    public int size() {
        return sessions.size();
    }

    /** Closes every session (server shutdown); each close runs on its session's executor. */
    public void closeAll() {
        for (EngineIoSession s : sessions.values()) {
            s.executor().execute(() -> s.close("server shutting down", true));
        }
    }

    public long pingIntervalMillis() {
        return pingIntervalMillis;
    }

    public long pingTimeoutMillis() {
        return pingTimeoutMillis;
    }

    public long upgradeTimeoutMillis() {
        return upgradeTimeoutMillis;
    }

    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    public int outboundQueueLimit() {
        return outboundQueueLimit;
    }

    /** The same limit in bytes: the polling buffer, or what a WebSocket that is not writable still holds. */
    public long outboundQueueBytes() {
        return outboundQueueBytes;
    }

    /** Sets {@link #outboundQueueBytes()} (unlimited until set); returns this. */
    public EngineIoServer outboundQueueBytes(long bytes) {
        this.outboundQueueBytes = bytes;
        return this;
    }

    /** Asked before every new session (see {@link HandshakeGate}); {@link HandshakeGate#OPEN} by default. */
    public EngineIoServer handshakeGate(HandshakeGate gate) {
        this.handshakeGate = gate;
        return this;
    }

    public HandshakeGate handshakeGate() {
        return handshakeGate;
    }

    public record Opened(EngineIoSession session, EngineIoPacket openPacket) {}
}

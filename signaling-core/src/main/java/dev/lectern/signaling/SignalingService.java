package dev.lectern.signaling;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.auth.AcceptedTokens;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenTypeRefusedException;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.SignalingConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.util.CowSets;
import dev.lectern.core.util.Futures;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.signaling.room.Peer;
import dev.lectern.signaling.room.RoomService;
import dev.lectern.signaling.room.SignalingError;
import dev.lectern.signaling.socketio.ConnectRefusedException;
import dev.lectern.signaling.socketio.Namespace;
import dev.lectern.signaling.socketio.SocketIoServer;
import dev.lectern.signaling.socketio.SocketIoSocket;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signaling endpoints' business side: identity for Socket.IO CONNECT and {@code /ws}, the tutoring-room events over
 * both, acks and errors. Plain Java; the Netty transports call it.
 */
public final class SignalingService implements JsonWsEndpoint {
    private static final Logger logger = LoggerFactory.getLogger(SignalingService.class);
    private static final Pattern DEV_USER_ID = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");

    private final SignalingConfig config;
    private final TokenVerifier verifier;
    /** Guest mode: the guest a handshake's cookie header names (or null); null itself when guest mode is off. */
    private final java.util.function.UnaryOperator<String> guestOfCookie;
    /**
     * The kinds of token a connect takes ({@code signaling.tokenTypes}): the same check REST and SSE routes make
     * ({@link AcceptedTokens}).
     */
    private volatile AcceptedTokens acceptedTokens;
    private final RoomService rooms;
    private final AtomicLong slowConsumers = new AtomicLong();
    private final AtomicInteger jsonConnections = new AtomicInteger();
    private final EngineIoServer engineIo;
    private final SocketIoServer sio;
    /** Every connected peer by user, so that server-side events (an avatar crash) reach all of a user's sockets. */
    private final Map<String, Set<Peer>> peersByUser = new ConcurrentHashMap<>();
    /** Each connection's event budget, by peer id (dropped when it disconnects). */
    private final Map<String, EventBudget> budgets = new ConcurrentHashMap<>();
    /** Events other features serve, by name; the rooms serve the rest. */
    private final Map<String, PeerEvents> featureEvents = new ConcurrentHashMap<>();
    /** Closes each connection when the token it was opened with expires (issue #19 item 12). */
    private final java.util.concurrent.ScheduledThreadPoolExecutor expiry = expiryTimer();
    private final Map<String, java.util.concurrent.ScheduledFuture<?>> expiries = new ConcurrentHashMap<>();

    private static java.util.concurrent.ScheduledThreadPoolExecutor expiryTimer() {
        java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
                r -> {
                    Thread th = new Thread(r, "lectern-token-expiry");
                    th.setDaemon(true);
                    return th;
                });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    public SignalingService(SignalingConfig config, TokenVerifier verifier, RoomService rooms) {
        this(config, verifier, rooms, null);
    }

    /**
     * @param guestOfCookie guest mode ({@code accounts.guestAccess}; null: off): a connection without a token is the
     *                      guest its handshake's signed cookie names (this function, from the {@code Cookie} header;
     *                      null when none), else a guest of its own
     */
    public SignalingService(SignalingConfig config, TokenVerifier verifier, RoomService rooms,
                            java.util.function.UnaryOperator<String> guestOfCookie) {
        this.guestOfCookie = guestOfCookie;
        this.config = config;
        this.verifier = verifier;
        this.acceptedTokens = config.acceptedTokens();
        this.rooms = rooms;
        this.sio = new SocketIoServer(Map.of("/", new RoomNamespace()), config.connectTimeoutMillis(),
                config.recoveryWindowMillis(), config.pingIntervalMillis() + config.pingTimeoutMillis(),
                config.recoveryBufferBytes(), config.outboundQueueLimit());
        sio.cluster(rooms.bus());
        this.engineIo = new EngineIoServer(config.pingIntervalMillis(), config.pingTimeoutMillis(),
                config.upgradeTimeoutMillis(), config.maxPayloadBytes(), config.outboundQueueLimit(), slowConsumers,
                sio::attach, config.maxSessionsWithoutConnect(), config.maxSessionsWithoutConnectPerAddress())
                .outboundQueueBytes(config.outboundQueueBytes());
        if (config.devMode()) {
            logger.warn("signaling.devMode is ON: clients without a token may name themselves with user_id."
                    + " Never enable this in production.");
        }
    }

    /**
     * The kinds of token Socket.IO and {@code /ws} connects take from now on (default: every kind); a valid token of
     * another kind is refused, the refusal naming it.
     */
    public SignalingService acceptTokens(AcceptedTokens accepted) {
        this.acceptedTokens = java.util.Objects.requireNonNull(accepted);
        return this;
    }

    /** Serves {@code events.events()} on every connection from now on (before clients connect). */
    public void addEvents(PeerEvents events) {
        for (String name : events.events()) {
            if (featureEvents.putIfAbsent(name, events) != null) {
                throw new IllegalStateException("signaling event " + name + " is served twice");
            }
        }
    }

    /** The Engine.IO endpoint behind {@code /socket.io/}. */
    public EngineIoServer engineIo() {
        return engineIo;
    }

    public RoomService rooms() {
        return rooms;
    }

    /** Sessions disconnected because their outbound queue overflowed. */
    public AtomicLong slowConsumers() {
        return slowConsumers;
    }

    /** Sockets whose transport dropped, waiting (within the recovery window) for their client to resume. */
    public int recoverableSockets() {
        return sio.parkedCount();
    }

    public int connections() {
        return engineIo.size() + jsonConnections.get();
    }

    // ---- identity

    private CompletionStage<Principal> identify(String token, String devUserId) {
        return identify(token, devUserId, null);
    }

    private CompletionStage<Principal> identify(String token, String devUserId, String cookie) {
        if (token != null && !token.isEmpty()) {
            try {
                AcceptedTokens accepted = acceptedTokens;
                return verifier.verify(token).thenApply(accepted::check);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        if (config.devMode() && devUserId != null && DEV_USER_ID.matcher(devUserId).matches()) {
            return CompletableFuture.completedFuture(new Principal(devUserId, Role.STUDENT, null));
        }
        if (guestOfCookie != null) {
            // the browser's guest (its REST cookie), else a guest for the life of this connection: nothing it does
            // reaches an account's or another guest's data
            String guest = cookie == null ? null : guestOfCookie.apply(cookie);
            return CompletableFuture.completedFuture(dev.lectern.core.auth.Guests.principal(
                    guest != null ? guest : dev.lectern.core.auth.Guests.newId()));
        }
        return CompletableFuture.failedFuture(new InvalidTokenException("a token is required"));
    }

    @Override
    public CompletionStage<Principal> authenticate(String token, String devUserId) {
        return identify(token, devUserId);
    }

    // ---- Socket.IO

    private final class RoomNamespace implements Namespace {
        @Override
        public CompletionStage<Object> authorize(JsonNode auth) {
            return authorize(auth, null);
        }

        @Override
        public CompletionStage<Object> authorize(JsonNode auth, String handshakeCookie) {
            String token = text(auth, "token");
            String userId = text(auth, "user_id");
            return identify(token, userId, handshakeCookie).handle((p, e) -> {
                if (e != null) {
                    Throwable cause = dev.lectern.core.util.Futures.unwrap(e);
                    throw new ConnectRefusedException(cause instanceof TokenTypeRefusedException refused
                            ? refused.getMessage() : "unauthorized");
                }
                return (Object) p;
            });
        }

        @Override
        public void onConnect(SocketIoSocket socket, JsonNode auth) {
            register(new SocketPeer(socket), (Principal) socket.principal()); // rooms wait until it joins one
        }

        @Override
        public void onEvent(SocketIoSocket socket, String event, ArrayNode args, List<byte[]> attachments, Ack ack) {
            Peer peer = new SocketPeer(socket);
            JsonNode data = args.isEmpty() ? null : args.get(0);
            handle(peer, event, data, result -> {
                if (ack != null) {
                    ack.send(Json.MAPPER.createArrayNode().add(result), List.of());
                }
            }, socket.executor());
        }

        @Override
        public void onDisconnect(SocketIoSocket socket, String reason) {
            SocketPeer peer = new SocketPeer(socket);
            unregister(peer);
            rooms.disconnected(peer);
        }

        @Override
        public boolean canResume(Object before, Object now) {
            return before instanceof Principal b && now instanceof Principal n && b.userId().equals(n.userId());
        }

        @Override
        public String resumeKey(Object principal) {
            return principal instanceof Principal p ? p.userId() : null;
        }

        @Override
        public JsonNode handOff(SocketIoSocket socket) {
            SocketPeer peer = new SocketPeer(socket);
            unregister(peer);
            return rooms.handOff(peer);
        }

        @Override
        public void takeOver(SocketIoSocket socket, JsonNode state) {
            SocketPeer peer = new SocketPeer(socket);
            register(peer, (Principal) socket.principal());
            if (state != null) {
                rooms.adopt(peer, state);
            }
        }
    }

    private void register(Peer peer, Principal principal) {
        long expires = principal.expiresAtMillis();
        if (expires > 0) {
            long delay = Math.max(0, expires - System.currentTimeMillis());
            expiries.put(peer.peerId(), expiry.schedule(() -> {
                if (expiries.remove(peer.peerId()) != null) {
                    peer.close("token expired");
                }
            }, delay, java.util.concurrent.TimeUnit.MILLISECONDS));
        }
        peersByUser.compute(peer.userId(), (u, set) -> CowSets.plus(set, peer));
        budgets.put(peer.peerId(), new EventBudget(config.eventsPerSecond(), config.eventBurst(),
                config.messagesPerSecond(), config.messageBurst()));
    }

    private void unregister(Peer peer) {
        java.util.concurrent.ScheduledFuture<?> pending = expiries.remove(peer.peerId());
        if (pending != null) {
            pending.cancel(false);
        }
        budgets.remove(peer.peerId());
        peersByUser.computeIfPresent(peer.userId(), (u, set) -> CowSets.minus(set, peer));
        for (PeerEvents e : Set.copyOf(featureEvents.values())) {
            e.disconnected(peer);
        }
    }

    /**
     * Closes the user's connections on this node (Socket.IO and /ws): those authenticated with {@code tokenId}, or all
     * when it is null (a password change, a disabled account). Returns how many were closed.
     */
    public int closeUser(String userId, String tokenId) {
        Set<Peer> peers = peersByUser.get(userId);
        if (peers == null) {
            return 0;
        }
        int n = 0;
        for (Peer p : peers) {
            if (tokenId == null || tokenId.equals(p.tokenId())) {
                p.close("token revoked");
                n++;
            }
        }
        return n;
    }

    /** Sends an event to every socket of a user on this node (Socket.IO and /ws); returns how many got it. */
    public int sendToUser(String userId, String event, JsonNode data) {
        Set<Peer> peers = peersByUser.get(userId);
        if (peers == null) {
            return 0;
        }
        for (Peer p : peers) {
            p.send(event, data);
        }
        return peers.size();
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** A Socket.IO socket as a room peer; equal peers for the same socket. */
    private record SocketPeer(SocketIoSocket socket) implements Peer {
        @Override
        public String peerId() {
            return socket.id();
        }

        @Override
        public String userId() {
            return ((Principal) socket.principal()).userId();
        }

        @Override
        public void send(String event, JsonNode data) {
            socket.emit(event, data);
        }

        @Override
        public String tokenId() {
            return ((Principal) socket.principal()).tokenId();
        }

        @Override
        public void close(String reason) {
            socket.disconnectAndClose();
        }

        @Override
        public boolean isOpen() {
            return socket.isConnected();
        }
    }

    /**
     * Serves one client event; {@code executor} is the connection's: a feature's answer comes back there, since
     * features complete on threads of their own.
     */
    private void handle(Peer peer, String event, JsonNode data, java.util.function.Consumer<JsonNode> reply,
                        java.util.concurrent.Executor executor) {
        PeerEvents feature = featureEvents.get(event);
        CompletionStage<JsonNode> stage;
        EventBudget budget = budgets.get(peer.peerId());
        if (budget != null && !budget.take(event, System.nanoTime())) {
            // over the connection's budget: refused before any work (no room, store or tutor is touched)
            stage = CompletableFuture.failedFuture(new SignalingError("rate_limited",
                    "too many events; slow down"));
        } else if (feature == null) {
            stage = rooms.handleAsync(peer, event, data);
        } else {
            try {
                stage = feature.handle(peer, event, data).whenCompleteAsync((r, e) -> { }, executor);
            } catch (RuntimeException e) {
                stage = CompletableFuture.failedFuture(e);
            }
        }
        stage.whenComplete((result, failure) -> {
            if (failure == null) {
                reply.accept(result);
                return;
            }
            Throwable cause = Futures.unwrap(failure);
            SignalingError e;
            if (cause instanceof SignalingError se) {
                e = se;
            } else {
                logger.warn("signaling event {} failed", event.length() <= 32 ? event : event.substring(0, 32), cause);
                e = new SignalingError("internal", "the server could not handle this event");
            }
            ObjectNode error = Json.MAPPER.createObjectNode().put("code", e.code()).put("message", e.getMessage());
            if (data != null && data.isObject() && data.get("room_id") != null && data.get("room_id").isTextual()
                    && data.get("room_id").asText().length() <= config.maxRoomIdChars()) {
                error.put("room_id", data.get("room_id").asText());
            }
            error.put("event", event.length() <= 32 ? event : event.substring(0, 32));
            peer.send("error", error);
            reply.accept(Json.MAPPER.createObjectNode().put("ok", false).put("code", e.code())
                    .put("message", e.getMessage()));
        });
    }

    // ---- the JSON dialect

    @Override
    public JsonWsConnection open(Principal principal, JsonWsSink sink) {
        jsonConnections.incrementAndGet();
        JsonPeer peer = new JsonPeer(EngineIoServer.newId(), principal.userId(), principal.tokenId(), sink);
        register(peer, principal);
        return new JsonWsConnection() {
            @Override
            public void onText(String frame) {
                JsonNode msg;
                try {
                    msg = Json.MAPPER.readTree(frame);
                } catch (JsonProcessingException e) {
                    msg = null;
                }
                if (msg == null || !msg.isObject() || !msg.path("event").isTextual()
                        || (msg.has("id") && !(msg.get("id").isIntegralNumber() || msg.get("id").isTextual()))) {
                    sink.close(1007, "expected {\"event\",\"data\",\"id\"}");
                    return;
                }
                JsonNode id = msg.get("id");
                handle(peer, msg.get("event").asText(), msg.get("data"), result -> {
                    if (id != null && !id.isNull()) {
                        ObjectNode ack = Json.MAPPER.createObjectNode();
                        ack.set("ack", id);
                        ack.set("data", result);
                        peer.write(Json.write(ack));
                    }
                }, Runnable::run); // the /ws sink is thread-safe
            }

            @Override
            public void onClose() {
                jsonConnections.decrementAndGet();
                peer.closed = true;
                unregister(peer);
                rooms.disconnected(peer);
            }
        };
    }

    private final class JsonPeer implements Peer {
        private final String peerId;
        private final String userId;
        private final String tokenId;
        private final JsonWsSink sink;
        private final AtomicInteger unwritable = new AtomicInteger();
        volatile boolean closed;

        JsonPeer(String peerId, String userId, String tokenId, JsonWsSink sink) {
            this.peerId = peerId;
            this.userId = userId;
            this.tokenId = tokenId;
            this.sink = sink;
        }

        @Override
        public String peerId() {
            return peerId;
        }

        @Override
        public String userId() {
            return userId;
        }

        @Override
        public boolean isOpen() {
            return !closed;
        }

        @Override
        public String tokenId() {
            return tokenId;
        }

        @Override
        public void close(String reason) {
            sink.close(1008, reason);
        }

        @Override
        public void send(String event, JsonNode data) {
            ObjectNode frame = Json.MAPPER.createObjectNode();
            frame.put("event", event);
            frame.set("data", data);
            write(Json.write(frame));
        }

        void write(String json) {
            if (closed) {
                return;
            }
            if (sink.send(json)) {
                unwritable.set(0);
            } else if (unwritable.incrementAndGet() > config.outboundQueueLimit()
                    || sink.pendingBytes() > config.outboundQueueBytes()) {
                closed = true;
                slowConsumers.incrementAndGet();
                sink.close(1008, "slow consumer");
            }
        }
    }
}

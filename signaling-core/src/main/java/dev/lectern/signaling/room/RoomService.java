package dev.lectern.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.config.SignalingConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.util.CowSets;
import dev.lectern.core.util.Futures;
import dev.lectern.signaling.cluster.ClusterBus;
import dev.lectern.signaling.cluster.ClusterBus.RoomEvent;
import dev.lectern.signaling.cluster.LocalClusterBus;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tutoring rooms and the WebRTC relay: {@code join}, {@code leave}, {@code offer}, {@code answer}, {@code candidate},
 * {@code message}. Only members may send into a room; a relay goes to one peer ({@code to}) or the rest of the room.
 * Thread-safe (peers live on different event loops): each room is guarded by its own monitor.
 *
 * <p>With a clustered {@link ClusterBus} a room spans nodes: a join is registered cluster-wide first (capacity
 * counted across nodes; the join completes asynchronously), each room knows its members on other nodes, and events
 * for them are published on the bus while local members are served directly, so local delivery never waits for (or
 * depends on) the bus. Remote events arrive through {@link ClusterBus.Handler}.
 */
public final class RoomService implements ClusterBus.Handler {
    private final SignalingConfig config;
    private final RelayValidator validator;
    private final RoomEventSink sink;
    private final IceServers iceServers;
    private final Clock clock;
    private final ClusterBus bus;
    private final RoomAccess access;
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    /** Rooms each peer is in, to clean up on disconnect. */
    private final Map<String, Set<String>> memberships = new ConcurrentHashMap<>();

    public RoomService(SignalingConfig config, RoomEventSink sink, IceServers iceServers, Clock clock) {
        this(config, sink, iceServers, clock, new LocalClusterBus("local"));
    }

    public RoomService(SignalingConfig config, RoomEventSink sink, IceServers iceServers, Clock clock, ClusterBus bus) {
        this(config, sink, iceServers, clock, bus, RoomAccess.AD_HOC);
    }

    /** @param access who may join which room ({@link RoomAccess#AD_HOC}: anyone, any id) */
    public RoomService(SignalingConfig config, RoomEventSink sink, IceServers iceServers, Clock clock, ClusterBus bus,
                       RoomAccess access) {
        this.access = access;
        this.config = config;
        this.validator = new RelayValidator(config);
        this.sink = sink;
        this.iceServers = iceServers;
        this.clock = clock;
        this.bus = bus;
        bus.start(this);
    }

    public ClusterBus bus() {
        return bus;
    }

    private static final class Room {
        final String id;
        final Map<String, Member> members = new LinkedHashMap<>(4);
        /** Members on other nodes, as the bus told us. */
        final Map<String, ClusterBus.Member> remote = new LinkedHashMap<>(4);
        /**
         * Local joins registered with the cluster but not yet committed here. The room exists while one is pending,
         * so that news from other nodes arriving meanwhile (a peer-joined published between our registration and
         * our commit) lands in {@link #remote} instead of being dropped for want of a room.
         */
        int pending;
        boolean closed;

        Room(String id) {
            this.id = id;
        }
    }

    private record Member(Peer peer, boolean host) {}

    /**
     * Handles one client event; returns the ack payload, or throws {@link SignalingError}. Waits for a clustered
     * join: use {@link #handleAsync} on an event loop.
     */
    public JsonNode handle(Peer peer, String event, JsonNode data) {
        try {
            return handleAsync(peer, event, data).toCompletableFuture().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Handles one client event; the stage completes with the ack payload, or with a {@link SignalingError}. */
    public CompletionStage<JsonNode> handleAsync(Peer peer, String event, JsonNode data) {
        try {
            return switch (event) {
                case "join" -> join(peer, data);
                case "leave" -> CompletableFuture.completedFuture(leave(peer, data));
                case "offer", "answer" -> CompletableFuture.completedFuture(relaySdp(peer, event, data));
                case "candidate" -> CompletableFuture.completedFuture(relayCandidate(peer, data));
                case "message" -> CompletableFuture.completedFuture(chat(peer, data));
                default -> throw new SignalingError("unknown_event", "unknown event");
            };
        } catch (SignalingError e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletionStage<JsonNode> join(Peer peer, JsonNode data) {
        String roomId = validator.roomId(data);
        JsonNode hostFlag = data.get("is_host");
        if (hostFlag != null && !hostFlag.isNull() && !hostFlag.isBoolean()) {
            throw new SignalingError("bad_request", "is_host must be a boolean");
        }
        boolean wantsHost = hostFlag != null && hostFlag.asBoolean(false);
        JsonNode named = data.get("user_id");
        if (named != null && !named.isNull() && !(named.isTextual() && (named.asText().equals(peer.userId())
                || dev.lectern.core.auth.Guests.isGuest(peer.userId())))) {
            // the seed's join names its user: it must be the caller (a guest's name is its own to choose)
            throw new SignalingError("forbidden", "user_id must name the caller");
        }
        Set<String> in = memberships.get(peer.peerId());
        if (in != null && in.size() >= config.maxRoomsPerPeer() && !in.contains(roomId)) {
            throw new SignalingError("too_many_rooms", "a connection may be in at most " + config.maxRoomsPerPeer()
                    + " rooms");
        }
        CompletionStage<Boolean> admitted = access.admit(peer, roomId, wantsHost, data);
        if (admitted instanceof CompletableFuture<Boolean> f && f.isDone() && !f.isCompletedExceptionally()) {
            return joinAdmitted(peer, roomId, f.join()); // ad-hoc rooms: no thread hop
        }
        return admitted.thenCompose(host -> joinAdmitted(peer, roomId, host));
    }

    /** The join of a peer {@link #access} let in. */
    private CompletionStage<JsonNode> joinAdmitted(Peer peer, String roomId, boolean host) {
        if (!bus.clustered()) {
            return CompletableFuture.completedFuture(commitJoin(peer, roomId, host, null));
        }
        Room existing = rooms.get(roomId);
        if (existing != null) {
            synchronized (existing) {
                Member self = existing.members.get(peer.peerId());
                if (!existing.closed && self != null && self.peer.equals(peer)) {
                    return CompletableFuture.completedFuture(commitJoin(peer, roomId, host, null)); // joined again
                }
                if (!existing.closed && existing.members.size() >= config.roomCapacity()) {
                    throw full();
                }
            }
        }
        Room held = hold(roomId);
        return bus.join(roomId, new ClusterBus.Member(peer.peerId(), peer.userId(), host), config.roomCapacity())
                .handle((remote, error) -> {
                    try {
                        if (error != null) {
                            Throwable cause = Futures.unwrap(error);
                            throw cause instanceof ClusterBus.RoomFullException ? full()
                                    : new CompletionException(cause);
                        }
                        try {
                            return commitJoin(peer, roomId, host, remote);
                        } catch (RuntimeException e) {
                            bus.leave(roomId, peer.peerId(), null); // registered, but not added here
                            throw e;
                        }
                    } finally {
                        synchronized (held) {
                            held.pending--;
                            closeIfEmpty(held);
                        }
                    }
                });
    }

    /** The room, kept open for a join in flight (see {@link Room#pending}). */
    private Room hold(String roomId) {
        while (true) {
            Room room = rooms.computeIfAbsent(roomId, Room::new);
            synchronized (room) {
                if (!room.closed) {
                    room.pending++;
                    return room;
                }
            }
        }
    }

    /** Drops a room nobody here is in or joining (under the room's lock). */
    private void closeIfEmpty(Room room) {
        if (room.members.isEmpty() && room.pending == 0 && !room.closed) {
            room.closed = true;
            rooms.remove(room.id, room);
        }
    }

    private SignalingError full() {
        return new SignalingError("room_full", "room is full (" + config.roomCapacity() + " peers)");
    }

    /**
     * Adds the peer to the room here and tells everyone. {@code remote}: the members on other nodes (clustered, the
     * peer is registered with the bus), or null (single node, or already a member).
     */
    private JsonNode commitJoin(Peer peer, String roomId, boolean host, List<ClusterBus.Member> remote) {
        while (true) {
            Room room = rooms.computeIfAbsent(roomId, Room::new);
            List<Member> others;
            synchronized (room) {
                if (room.closed) {
                    continue; // emptied and removed meanwhile: take the new one
                }
                boolean registered = remote != null && bus.clustered();
                if (!room.members.containsKey(peer.peerId())) {
                    // local members are never more than the cluster-wide count: this holds in an outage too
                    SignalingError refused = room.members.size() >= config.roomCapacity() ? full()
                            : !peer.isOpen() ? new SignalingError("disconnected", "the connection closed while joining")
                            : null;
                    if (refused != null) {
                        closeIfEmpty(room);
                        throw refused;
                    }
                    if (remote != null) {
                        for (ClusterBus.Member m : remote) {
                            room.remote.put(m.peerId(), m);
                        }
                    }
                    room.members.put(peer.peerId(), new Member(peer, host));
                    memberships.compute(peer.peerId(), (k, in) -> CowSets.plus(in, roomId));
                    others = new ArrayList<>();
                    for (Member m : room.members.values()) {
                        if (!m.peer.equals(peer)) {
                            others.add(m);
                        }
                    }
                } else {
                    if (registered) {
                        bus.handOff(roomId, peer.peerId()); // a second join of a member: let go of its extra hold
                    }
                    others = null;
                }
                ObjectNode joined = Json.MAPPER.createObjectNode();
                joined.put("room_id", roomId);
                joined.put("peer_id", peer.peerId());
                joined.put("user_id", peer.userId());
                ArrayNode peers = joined.putArray("peers");
                for (Member m : room.members.values()) {
                    if (!m.peer.equals(peer)) {
                        peers.add(describe(m));
                    }
                }
                for (ClusterBus.Member m : room.remote.values()) {
                    peers.add(describe(m));
                }
                joined.set("ice_servers", iceServers.forUser(peer.userId()));
                peer.send("joined", joined);
                if (others != null) {
                    ObjectNode notice = describe(new Member(peer, host));
                    notice.put("room_id", roomId);
                    for (Member m : others) {
                        m.peer.send("peer-joined", notice);
                    }
                    if (bus.clustered()) {
                        bus.publish(roomId, new RoomEvent("peer-joined", null, peer.peerId(), notice));
                    }
                    sink.joined(roomId, peer.userId(), peer.peerId());
                }
                return joined;
            }
        }
    }

    private static ObjectNode describe(ClusterBus.Member m) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("peer_id", m.peerId());
        n.put("user_id", m.userId());
        n.put("is_host", m.host());
        return n;
    }

    private static ObjectNode describe(Member m) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("peer_id", m.peer.peerId());
        n.put("user_id", m.peer.userId());
        n.put("is_host", m.host);
        return n;
    }

    private JsonNode leave(Peer peer, JsonNode data) {
        String roomId = validator.roomId(data);
        if (!leaveRoom(peer, roomId)) {
            throw new SignalingError("not_in_room", "not a member of this room");
        }
        return ok(roomId);
    }

    /** A peer disconnected (or timed out): it leaves every room, the others get {@code peer-left}. */
    public void disconnected(Peer peer) {
        Set<String> in = memberships.remove(peer.peerId());
        if (in != null) {
            for (String roomId : in) {
                leaveRoom(peer, roomId);
            }
        }
    }

    private boolean leaveRoom(Peer peer, String roomId) {
        Room room = rooms.get(roomId);
        if (room == null) {
            return false;
        }
        synchronized (room) {
            Member gone = room.members.get(peer.peerId());
            if (gone == null || !gone.peer.equals(peer)) {
                return false;
            }
            room.members.remove(peer.peerId());
            memberships.computeIfPresent(peer.peerId(), (k, in) -> CowSets.minus(in, roomId));
            ObjectNode notice = Json.MAPPER.createObjectNode();
            notice.put("room_id", roomId);
            notice.put("peer_id", peer.peerId());
            notice.put("user_id", peer.userId());
            for (Member m : room.members.values()) {
                m.peer.send("peer-left", notice);
            }
            if (bus.clustered()) {
                bus.leave(roomId, peer.peerId(), new RoomEvent("peer-left", null, peer.peerId(), notice));
            }
            closeIfEmpty(room);
        }
        sink.left(roomId, peer.userId(), peer.peerId());
        return true;
    }

    private JsonNode relaySdp(Peer peer, String event, JsonNode data) {
        String roomId = validator.roomId(data);
        String to = RelayValidator.target(data);
        return relayTo(peer, roomId, to, event, "sdp", Json.MAPPER.getNodeFactory().textNode(validator.sdp(data)));
    }

    private JsonNode relayCandidate(Peer peer, JsonNode data) {
        String roomId = validator.roomId(data);
        String to = RelayValidator.target(data);
        return relayTo(peer, roomId, to, "candidate", "candidate", validator.candidate(data));
    }

    /** Relays {@code {room_id, <field>: value, from, user_id}} to one peer or the rest of the room. */
    private JsonNode relayTo(Peer peer, String roomId, String to, String event, String field, JsonNode value) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("room_id", roomId);
        out.set(field, value);
        out.put("from", peer.peerId());
        out.put("user_id", peer.userId());
        relay(peer, roomId, to, event, out, false);
        return ok(roomId);
    }

    private JsonNode chat(Peer peer, JsonNode data) {
        String roomId = validator.roomId(data);
        String message = validator.message(data);
        String sender = RelayValidator.sender(data, peer.userId());
        long now = clock.millis();
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("room_id", roomId);
        out.put("message", message);
        out.put("sender", sender);
        out.put("user_id", peer.userId());
        out.put("from", peer.peerId());
        out.put("timestamp", now / 1000.0); // epoch seconds, as the seed's message model has it
        // Stored before anyone can read it and answer: the transcript keeps the order of the conversation.
        requireMember(peer, roomId);
        sink.messageStored(roomId, peer.userId(), sender, message, now);
        relay(peer, roomId, null, "message", out, true);
        return ok(roomId);
    }

    private void requireMember(Peer peer, String roomId) {
        Room room = rooms.get(roomId);
        if (room == null) {
            throw new SignalingError("not_in_room", "not a member of this room");
        }
        synchronized (room) {
            Member self = room.members.get(peer.peerId());
            if (self == null || !self.peer.equals(peer)) {
                throw new SignalingError("not_in_room", "not a member of this room");
            }
        }
    }

    private void relay(Peer from, String roomId, String to, String event, JsonNode out, boolean includeSender) {
        Room room = rooms.get(roomId);
        if (room == null) {
            throw new SignalingError("not_in_room", "not a member of this room");
        }
        List<Peer> targets = new ArrayList<>(2);
        synchronized (room) {
            Member self = room.members.get(from.peerId());
            if (self == null || !self.peer.equals(from)) {
                throw new SignalingError("not_in_room", "not a member of this room");
            }
            if (to != null) {
                Member target = room.members.get(to);
                if (target != null && !target.peer.equals(from)) {
                    targets.add(target.peer);
                } else if (target == null && room.remote.containsKey(to)) {
                    bus.publish(roomId, new RoomEvent(event, to, from.peerId(), out));
                } else {
                    throw new SignalingError("unknown_peer", "no such peer in this room");
                }
            } else {
                for (Member m : room.members.values()) {
                    if (includeSender || !m.peer.equals(from)) {
                        targets.add(m.peer);
                    }
                }
                if (!room.remote.isEmpty()) {
                    bus.publish(roomId, new RoomEvent(event, null, from.peerId(), out));
                }
            }
        }
        for (Peer p : targets) {
            p.send(event, out);
        }
    }

    private static JsonNode ok(String roomId) {
        return Json.MAPPER.createObjectNode().put("ok", true).put("room_id", roomId);
    }

    /** Sends a server-side event (the AI tutor's reply) to everyone in a room; returns how many got it. */
    public int broadcast(String roomId, String event, JsonNode data) {
        Room room = rooms.get(roomId);
        if (room == null) {
            return 0;
        }
        List<Peer> targets;
        int remote;
        synchronized (room) {
            targets = room.members.values().stream().map(Member::peer).toList();
            remote = room.remote.size();
            if (remote > 0) {
                bus.publish(roomId, new RoomEvent(event, null, null, data));
            }
        }
        for (Peer p : targets) {
            p.send(event, data);
        }
        return targets.size() + remote;
    }

    /** User ids of the peers in a room right now, in join order; empty when nobody is there. */
    public List<String> usersIn(String roomId) {
        Room room = rooms.get(roomId);
        if (room == null) {
            return List.of();
        }
        synchronized (room) {
            List<String> users = new ArrayList<>();
            room.members.values().forEach(m -> users.add(m.peer().userId()));
            room.remote.values().forEach(m -> users.add(m.userId()));
            return users.stream().distinct().toList();
        }
    }

    // ---- the cluster side

    /**
     * A room event of ours that other nodes will not get: its sender, when it is a member here, gets an
     * {@code error} with code {@code not_delivered}, the room, the event and its target, so that it can send again
     * (an offer) or tell its user; never silent loss.
     */
    @Override
    public void undelivered(String roomId, RoomEvent event) {
        Room room = rooms.get(roomId);
        if (room == null || event.from() == null) {
            return;
        }
        Peer sender;
        synchronized (room) {
            Member m = room.members.get(event.from());
            sender = m == null ? null : m.peer;
        }
        if (sender == null) {
            return;
        }
        ObjectNode error = Json.MAPPER.createObjectNode().put("code", "not_delivered")
                .put("message", "not delivered to the room's members on other nodes (the cluster store was"
                        + " unreachable for too long)")
                .put("room_id", roomId).put("event", event.event());
        if (event.to() != null) {
            error.put("to", event.to());
        }
        sender.send("error", error);
    }

    /** An event from another node: membership news update the room's remote members; relays go to local peers. */
    @Override
    public void onRemote(String roomId, RoomEvent event) {
        Room room = rooms.get(roomId);
        if (room == null) {
            return;
        }
        JsonNode data = event.data();
        List<Peer> targets = new ArrayList<>(2);
        synchronized (room) {
            switch (event.event()) {
                case "peer-joined" -> {
                    String peerId = data.path("peer_id").asText();
                    if (room.members.containsKey(peerId) || room.remote.containsKey(peerId)) {
                        return; // already known (joined-list or a re-announcement)
                    }
                    room.remote.put(peerId, new ClusterBus.Member(peerId, data.path("user_id").asText(),
                            data.path("is_host").asBoolean(false)));
                    room.members.values().forEach(m -> targets.add(m.peer));
                }
                case "peer-left" -> {
                    if (room.remote.remove(data.path("peer_id").asText()) == null) {
                        return; // told twice (its node, and a reaper), or never known
                    }
                    room.members.values().forEach(m -> targets.add(m.peer));
                }
                default -> {
                    String from = event.from();
                    if (from != null && !room.members.containsKey(from) && !room.remote.containsKey(from)) {
                        // a sender we had not heard of (its peer-joined was lost in an outage): a member after all
                        JsonNode user = Json.tree(data).path("user_id");
                        if (user.isTextual()) {
                            room.remote.put(from, new ClusterBus.Member(from, user.asText(), false));
                        }
                    }
                    if (event.to() != null) {
                        Member target = room.members.get(event.to());
                        if (target != null) {
                            targets.add(target.peer);
                        }
                    } else {
                        for (Member m : room.members.values()) {
                            if (!m.peer.peerId().equals(event.from())) {
                                targets.add(m.peer);
                            }
                        }
                    }
                }
            }
        }
        for (Peer p : targets) {
            p.send(event.event(), data);
        }
    }

    /**
     * The peer's client resumed on another node: it leaves this node's rooms without a {@code peer-left} (it is still
     * in them, elsewhere) and the rooms it was in are returned as {@code [{room_id, is_host}]} for {@link #adopt}.
     */
    public ArrayNode handOff(Peer peer) {
        ArrayNode state = Json.MAPPER.createArrayNode();
        Set<String> in = memberships.remove(peer.peerId());
        if (in == null) {
            return state;
        }
        for (String roomId : in) {
            Room room = rooms.get(roomId);
            if (room == null) {
                continue;
            }
            synchronized (room) {
                Member gone = room.members.get(peer.peerId());
                if (gone == null || !gone.peer.equals(peer)) {
                    continue;
                }
                room.members.remove(peer.peerId());
                state.addObject().put("room_id", roomId).put("is_host", gone.host);
                if (room.members.isEmpty()) {
                    closeIfEmpty(room);
                } else {
                    room.remote.put(peer.peerId(), new ClusterBus.Member(peer.peerId(), peer.userId(), gone.host));
                }
            }
            bus.handOff(roomId, peer.peerId());
        }
        return state;
    }

    /** A peer handed off by another node ({@link #handOff}) is in these rooms here now, without a {@code peer-joined}. */
    public void adopt(Peer peer, JsonNode state) {
        for (JsonNode entry : state) {
            String roomId = entry.path("room_id").asText();
            boolean host = entry.path("is_host").asBoolean(false);
            while (true) {
                Room room = rooms.computeIfAbsent(roomId, Room::new);
                synchronized (room) {
                    if (room.closed) {
                        continue;
                    }
                    room.remote.remove(peer.peerId());
                    room.members.put(peer.peerId(), new Member(peer, host));
                    memberships.compute(peer.peerId(), (k, in) -> CowSets.plus(in, roomId));
                    break;
                }
            }
            bus.adopt(roomId, new ClusterBus.Member(peer.peerId(), peer.userId(), host)).thenAccept(others -> {
                Room room = rooms.get(roomId);
                if (room != null) {
                    synchronized (room) {
                        for (ClusterBus.Member m : others) {
                            if (!room.members.containsKey(m.peerId())) {
                                room.remote.put(m.peerId(), m);
                            }
                        }
                    }
                }
            });
        }
    }

    @Override
    public Map<String, List<ClusterBus.Member>> localMembers() {
        Map<String, List<ClusterBus.Member>> out = new java.util.HashMap<>();
        for (Room room : rooms.values()) {
            synchronized (room) {
                if (!room.closed && !room.members.isEmpty()) {
                    out.put(room.id, room.members.values().stream()
                            .map(m -> new ClusterBus.Member(m.peer.peerId(), m.peer.userId(), m.host)).toList());
                }
            }
        }
        return out;
    }

    /** Live rooms (for metrics and tests). */
    public int roomCount() {
        return rooms.size();
    }
}

package dev.lectern.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.config.SignalingConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.util.CowSets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tutoring rooms and the WebRTC relay: {@code join}, {@code leave}, {@code offer}, {@code answer}, {@code candidate},
 * {@code message}. Only members may send into a room; a relay goes to one peer ({@code to}) or the rest of the room.
 * Thread-safe (peers live on different event loops): each room is guarded by its own monitor.
 */
public final class RoomService {
    private final SignalingConfig config;
    private final RelayValidator validator;
    private final RoomEventSink sink;
    private final IceServers iceServers;
    private final Clock clock;
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    /** Rooms each peer is in, to clean up on disconnect. */
    private final Map<String, Set<String>> memberships = new ConcurrentHashMap<>();

    public RoomService(SignalingConfig config, RoomEventSink sink, IceServers iceServers, Clock clock) {
        this.config = config;
        this.validator = new RelayValidator(config);
        this.sink = sink;
        this.iceServers = iceServers;
        this.clock = clock;
    }

    private static final class Room {
        final String id;
        final Map<String, Member> members = new LinkedHashMap<>(4);
        boolean closed;

        Room(String id) {
            this.id = id;
        }
    }

    private record Member(Peer peer, boolean host) {}

    /** Handles one client event; returns the ack payload, or throws {@link SignalingError}. */
    public JsonNode handle(Peer peer, String event, JsonNode data) {
        return switch (event) {
            case "join" -> join(peer, data);
            case "leave" -> leave(peer, data);
            case "offer", "answer" -> relaySdp(peer, event, data);
            case "candidate" -> relayCandidate(peer, data);
            case "message" -> chat(peer, data);
            default -> throw new SignalingError("unknown_event", "unknown event");
        };
    }

    private JsonNode join(Peer peer, JsonNode data) {
        String roomId = validator.roomId(data);
        JsonNode hostFlag = data.get("is_host");
        if (hostFlag != null && !hostFlag.isNull() && !hostFlag.isBoolean()) {
            throw new SignalingError("bad_request", "is_host must be a boolean");
        }
        boolean host = hostFlag != null && hostFlag.asBoolean(false);
        while (true) {
            Room room = rooms.computeIfAbsent(roomId, Room::new);
            List<Member> others;
            synchronized (room) {
                if (room.closed) {
                    continue; // emptied and removed meanwhile: take the new one
                }
                if (!room.members.containsKey(peer.peerId())) {
                    if (room.members.size() >= config.roomCapacity()) {
                        throw new SignalingError("room_full", "room is full (" + config.roomCapacity() + " peers)");
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
                joined.set("ice_servers", iceServers.forUser(peer.userId()));
                peer.send("joined", joined);
                if (others != null) {
                    ObjectNode notice = describe(new Member(peer, host));
                    notice.put("room_id", roomId);
                    for (Member m : others) {
                        m.peer.send("peer-joined", notice);
                    }
                    sink.joined(roomId, peer.userId(), peer.peerId());
                }
                return joined;
            }
        }
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
            if (room.members.isEmpty()) {
                room.closed = true;
                rooms.remove(roomId, room);
            }
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
        out.put("timestamp", now);
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
                if (target == null || target.peer.equals(from)) {
                    throw new SignalingError("unknown_peer", "no such peer in this room");
                }
                targets.add(target.peer);
            } else {
                for (Member m : room.members.values()) {
                    if (includeSender || !m.peer.equals(from)) {
                        targets.add(m.peer);
                    }
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
        synchronized (room) {
            targets = room.members.values().stream().map(Member::peer).toList();
        }
        for (Peer p : targets) {
            p.send(event, data);
        }
        return targets.size();
    }

    /** User ids of the peers in a room right now, in join order; empty when nobody is there. */
    public List<String> usersIn(String roomId) {
        Room room = rooms.get(roomId);
        if (room == null) {
            return List.of();
        }
        synchronized (room) {
            return room.members.values().stream().map(m -> m.peer().userId()).distinct().toList();
        }
    }

    /** Live rooms (for metrics and tests). */
    public int roomCount() {
        return rooms.size();
    }
}

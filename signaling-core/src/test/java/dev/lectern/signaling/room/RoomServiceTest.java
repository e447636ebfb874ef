package dev.lectern.signaling.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.config.SignalingConfig;
import dev.lectern.core.json.Json;
import dev.lectern.testing.TestConfigs;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoomServiceTest {
    private static final String SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n";

    private final SignalingConfig config = TestConfigs.defaults(Map.of("LECTERN_SIGNALING__MAX_SDP_BYTES", "100"))
            .signaling();
    private final List<String> stored = new ArrayList<>();
    private final RoomService rooms = new RoomService(config, new RoomEventSink() {
        @Override
        public void joined(String roomId, String userId, String peerId) {
            stored.add("joined " + roomId + " " + userId);
        }

        @Override
        public void left(String roomId, String userId, String peerId) {
            stored.add("left " + roomId + " " + userId);
        }

        @Override
        public void messageStored(String roomId, String userId, String sender, String message, long ts) {
            stored.add("message " + roomId + " " + userId + " " + sender + " " + message + " " + ts);
        }
    }, IceServers.stun(List.of("stun:stun.example.org:3478")), Clock.fixed(Instant.ofEpochMilli(42), ZoneOffset.UTC));

    /** A peer that records what it is sent. */
    record Recorder(String peerId, String userId, List<String> events, List<JsonNode> data) implements Peer {
        Recorder(String peerId, String userId) {
            this(peerId, userId, new ArrayList<>(), new ArrayList<>());
        }

        @Override
        public void send(String event, JsonNode d) {
            events.add(event);
            data.add(d);
        }

        JsonNode last(String event) {
            for (int i = events.size() - 1; i >= 0; i--) {
                if (events.get(i).equals(event)) {
                    return data.get(i);
                }
            }
            throw new AssertionError("no " + event + " in " + events);
        }
    }

    private static ObjectNode obj(String json) throws Exception {
        return (ObjectNode) Json.MAPPER.readTree(json);
    }

    @Test
    void joinTellsTheJoinerTheRoomAndTheOthersTheJoiner() throws Exception {
        Recorder a = new Recorder("pa", "alice");
        Recorder b = new Recorder("pb", "bob");
        rooms.handle(a, "join", obj("{\"room_id\":\"r1\",\"is_host\":true}"));
        JsonNode ack = rooms.handle(b, "join", obj("{\"room_id\":\"r1\"}"));

        JsonNode joined = b.last("joined");
        assertThat(ack).isEqualTo(joined);
        assertThat(joined.get("peer_id").asText()).isEqualTo("pb");
        assertThat(joined.get("peers")).hasSize(1);
        assertThat(joined.get("peers").get(0).get("user_id").asText()).isEqualTo("alice");
        assertThat(joined.get("peers").get(0).get("is_host").asBoolean()).isTrue();
        assertThat(joined.get("ice_servers").get(0).get("urls").get(0).asText()).isEqualTo("stun:stun.example.org:3478");
        assertThat(a.last("peer-joined").get("peer_id").asText()).isEqualTo("pb");
        assertThat(stored).containsExactly("joined r1 alice", "joined r1 bob");
    }

    @Test
    void roomsHaveACapacity() throws Exception {
        rooms.handle(new Recorder("p1", "u1"), "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(new Recorder("p2", "u2"), "join", obj("{\"room_id\":\"r\"}"));
        assertThatThrownBy(() -> rooms.handle(new Recorder("p3", "u3"), "join", obj("{\"room_id\":\"r\"}")))
                .isInstanceOfSatisfying(SignalingError.class, e -> assertThat(e.code()).isEqualTo("room_full"));
    }

    @Test
    void offersGoToTheRestOrToOnePeerAndOnlyFromMembers() throws Exception {
        Recorder a = new Recorder("pa", "alice");
        Recorder b = new Recorder("pb", "bob");
        Recorder stranger = new Recorder("px", "mallory");
        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(b, "join", obj("{\"room_id\":\"r\"}"));

        ObjectNode offer = obj("{\"room_id\":\"r\"}").put("sdp", SDP);
        rooms.handle(a, "offer", offer);
        assertThat(b.last("offer").get("sdp").asText()).isEqualTo(SDP);
        assertThat(b.last("offer").get("from").asText()).isEqualTo("pa");
        assertThat(a.events()).doesNotContain("offer");

        rooms.handle(b, "answer", obj("{\"room_id\":\"r\",\"to\":\"pa\"}").put("sdp", SDP));
        assertThat(a.last("answer").get("from").asText()).isEqualTo("pb");

        assertThatThrownBy(() -> rooms.handle(stranger, "offer", offer))
                .isInstanceOfSatisfying(SignalingError.class, e -> assertThat(e.code()).isEqualTo("not_in_room"));
        assertThatThrownBy(() -> rooms.handle(a, "offer", obj("{\"room_id\":\"r\",\"to\":\"nobody\"}").put("sdp", SDP)))
                .isInstanceOfSatisfying(SignalingError.class, e -> assertThat(e.code()).isEqualTo("unknown_peer"));
    }

    @Test
    void invalidSignalingIsRefusedAndNotRelayed() throws Exception {
        Recorder a = new Recorder("pa", "alice");
        Recorder b = new Recorder("pb", "bob");
        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(b, "join", obj("{\"room_id\":\"r\"}"));
        int before = b.events().size();

        List<String> bad = List.of(
                "{\"room_id\":\"r\",\"sdp\":\"hello\"}",
                "{\"room_id\":\"r\",\"sdp\":{\"type\":\"offer\"}}",
                "{\"room_id\":\"r\",\"sdp\":\"v=0" + "x".repeat(200) + "\"}");
        for (String json : bad) {
            assertThatThrownBy(() -> rooms.handle(a, "offer", obj(json)))
                    .isInstanceOfSatisfying(SignalingError.class, e -> assertThat(e.code()).isEqualTo("invalid_sdp"));
        }
        List<String> badCandidates = List.of(
                "{\"room_id\":\"r\"}",
                "{\"room_id\":\"r\",\"candidate\":\"candidate:1\"}",
                "{\"room_id\":\"r\",\"candidate\":{\"candidate\":\"nope\"}}",
                "{\"room_id\":\"r\",\"candidate\":{\"candidate\":\"candidate:1\",\"evil\":1}}",
                "{\"room_id\":\"r\",\"candidate\":{\"candidate\":\"candidate:1\",\"sdpMLineIndex\":\"0\"}}");
        for (String json : badCandidates) {
            assertThatThrownBy(() -> rooms.handle(a, "candidate", obj(json)))
                    .isInstanceOfSatisfying(SignalingError.class, e -> assertThat(e.code()).isEqualTo("invalid_candidate"));
        }
        for (String json : List.of("{}", "{\"room_id\":\"\"}", "{\"room_id\":\"a b\"}", "{\"room_id\":7}",
                "{\"room_id\":\"" + "r".repeat(200) + "\"}")) {
            assertThatThrownBy(() -> rooms.handle(a, "join", obj(json))).isInstanceOf(SignalingError.class);
        }
        assertThatThrownBy(() -> rooms.handle(a, "join", null)).isInstanceOf(SignalingError.class);
        assertThatThrownBy(() -> rooms.handle(a, "message", obj("{\"room_id\":\"r\",\"message\":\"\"}")))
                .isInstanceOf(SignalingError.class);
        assertThatThrownBy(() -> rooms.handle(a, "fly", obj("{}")))
                .isInstanceOfSatisfying(SignalingError.class, e -> assertThat(e.code()).isEqualTo("unknown_event"));
        assertThat(b.events()).hasSize(before);
    }

    @Test
    void candidatesAndEndOfCandidatesAreRelayed() throws Exception {
        Recorder a = new Recorder("pa", "alice");
        Recorder b = new Recorder("pb", "bob");
        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(b, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(a, "candidate", obj("{\"room_id\":\"r\",\"candidate\":{\"candidate\":"
                + "\"candidate:842163049 1 udp 1677729535 1.2.3.4 3478 typ srflx\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}"));
        assertThat(b.last("candidate").get("candidate").get("sdpMid").asText()).isEqualTo("0");
        rooms.handle(a, "candidate", obj("{\"room_id\":\"r\",\"candidate\":null}"));
        assertThat(b.last("candidate").get("candidate").isNull()).isTrue();
    }

    @Test
    void chatGoesToTheWholeRoomAndIntoTheTranscript() throws Exception {
        Recorder a = new Recorder("pa", "alice");
        Recorder b = new Recorder("pb", "bob");
        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(b, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(a, "message", obj("{\"room_id\":\"r\",\"message\":\"hi\",\"sender\":\"Alice\"}"));
        assertThat(a.last("message").get("message").asText()).isEqualTo("hi");
        // the sender is the account, whatever the client claims (issue #19 item 10)
        assertThat(b.last("message").get("sender").asText()).isEqualTo("alice");
        assertThat(b.last("message").get("user_id").asText()).isEqualTo("alice");
        assertThat(stored).contains("message r alice alice hi 42");
    }

    @Test
    void leavingOrDisconnectingTellsTheOthers() throws Exception {
        Recorder a = new Recorder("pa", "alice");
        Recorder b = new Recorder("pb", "bob");
        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(b, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(a, "leave", obj("{\"room_id\":\"r\"}"));
        assertThat(b.last("peer-left").get("peer_id").asText()).isEqualTo("pa");
        assertThatThrownBy(() -> rooms.handle(a, "leave", obj("{\"room_id\":\"r\"}"))).isInstanceOf(SignalingError.class);

        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        b.events().clear();
        rooms.disconnected(a);
        assertThat(b.events()).containsExactly("peer-left");
        rooms.disconnected(b);
        assertThat(rooms.roomCount()).isZero();
    }
}

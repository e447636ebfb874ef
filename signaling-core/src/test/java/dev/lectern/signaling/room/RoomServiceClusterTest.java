package dev.lectern.signaling.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.json.Json;
import dev.lectern.signaling.cluster.ClusterBus;
import dev.lectern.testing.TestConfigs;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The room service on a clustered bus (a recording fake: the Redis bus has its own integration test). */
class RoomServiceClusterTest {
    private static final String SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n";

    /** Records what the rooms ask of the cluster; joins answer with {@link #remote} or refuse when {@link #full}. */
    static final class FakeBus implements ClusterBus {
        final List<String> calls = new ArrayList<>();
        final List<String> published = new ArrayList<>();
        List<Member> remote = List.of();
        boolean full;
        /** Joins wait here until the test completes them (when not null). */
        List<CompletableFuture<List<Member>>> held;

        @Override
        public String nodeId() {
            return "n1";
        }

        @Override
        public boolean clustered() {
            return true;
        }

        @Override
        public void start(Handler handler) { }

        @Override
        public CompletionStage<List<Member>> join(String roomId, Member member, int capacity) {
            calls.add("join " + roomId + " " + member.peerId());
            if (held != null) {
                CompletableFuture<List<Member>> f = new CompletableFuture<>();
                held.add(f);
                return f;
            }
            return full ? CompletableFuture.failedFuture(new RoomFullException())
                    : CompletableFuture.completedFuture(remote);
        }

        @Override
        public void leave(String roomId, String peerId, RoomEvent announce) {
            calls.add("leave " + roomId + " " + peerId);
            if (announce != null) {
                publish(roomId, announce);
            }
        }

        @Override
        public void publish(String roomId, RoomEvent event) {
            published.add(roomId + " " + event.event() + " to=" + event.to() + " from=" + event.from());
        }

        @Override
        public void handOff(String roomId, String peerId) {
            calls.add("handOff " + roomId + " " + peerId);
        }

        @Override
        public CompletionStage<List<Member>> adopt(String roomId, Member member) {
            calls.add("adopt " + roomId + " " + member.peerId());
            return CompletableFuture.completedFuture(remote);
        }

        @Override
        public CompletionStage<String> request(String node, String body, long timeoutMillis) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public void serveRequests(Function<String, CompletionStage<String>> responder) { }

        @Override
        public void close() { }
    }

    private final FakeBus bus = new FakeBus();
    private final RoomService rooms = new RoomService(TestConfigs.defaults(Map.of()).signaling(), RoomEventSink.NONE,
            IceServers.stun(List.of("stun:stun.example.org:3478")), Clock.systemUTC(), bus);

    private static ObjectNode obj(String json) throws Exception {
        return (ObjectNode) Json.MAPPER.readTree(json);
    }

    private static ObjectNode notice(String peer, String user) {
        return Json.MAPPER.createObjectNode().put("room_id", "r").put("peer_id", peer).put("user_id", user)
                .put("is_host", false);
    }

    @Test
    void peersOnOtherNodesAreListedAndReachedThroughTheBus() throws Exception {
        bus.remote = List.of(new ClusterBus.Member("remote-1", "bob", true));
        RoomServiceTest.Recorder a = new RoomServiceTest.Recorder("pa", "alice");
        JsonNode joined = rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        assertThat(joined.get("peers")).hasSize(1);
        assertThat(joined.at("/peers/0/peer_id").asText()).isEqualTo("remote-1");
        assertThat(joined.at("/peers/0/is_host").asBoolean()).isTrue();
        assertThat(bus.calls).containsExactly("join r pa");
        assertThat(bus.published).containsExactly("r peer-joined to=null from=pa");

        rooms.handle(a, "offer", obj("{\"room_id\":\"r\",\"to\":\"remote-1\"}").put("sdp", SDP));
        rooms.handle(a, "candidate", obj("{\"room_id\":\"r\",\"candidate\":null}"));
        assertThat(bus.published).containsSubsequence("r offer to=remote-1 from=pa", "r candidate to=null from=pa");
        assertThatThrownBy(() -> rooms.handle(a, "offer", obj("{\"room_id\":\"r\",\"to\":\"nobody\"}").put("sdp", SDP)))
                .isInstanceOfSatisfying(SignalingError.class, e -> assertThat(e.code()).isEqualTo("unknown_peer"));
        assertThat(rooms.usersIn("r")).containsExactly("alice", "bob");

        rooms.handle(a, "leave", obj("{\"room_id\":\"r\"}"));
        assertThat(bus.published).endsWith("r peer-left to=null from=pa");
        assertThat(bus.calls).endsWith("leave r pa");
    }

    @Test
    void anEventTheBusGivesUpIsReportedToItsSenderOnly() throws Exception {
        bus.remote = List.of(new ClusterBus.Member("remote-1", "bob", false));
        RoomServiceTest.Recorder a = new RoomServiceTest.Recorder("pa", "alice");
        RoomServiceTest.Recorder c = new RoomServiceTest.Recorder("pc", "carol");
        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(c, "join", obj("{\"room_id\":\"r\"}"));
        int before = c.events().size();

        rooms.undelivered("r", new ClusterBus.RoomEvent("offer", "remote-1", "pa", obj("{\"sdp\":\"x\"}")));
        assertThat(a.events()).last().isEqualTo("error");
        JsonNode error = a.data().get(a.data().size() - 1);
        assertThat(error.get("code").asText()).isEqualTo("not_delivered");
        assertThat(error.get("room_id").asText()).isEqualTo("r");
        assertThat(error.get("event").asText()).isEqualTo("offer");
        assertThat(error.get("to").asText()).isEqualTo("remote-1");
        assertThat(c.events()).hasSize(before);
        // a server broadcast (no sender) or a room no longer here: nobody to tell
        rooms.undelivered("r", new ClusterBus.RoomEvent("tutor", null, null, obj("{}")));
        rooms.undelivered("gone", new ClusterBus.RoomEvent("offer", null, "pa", obj("{}")));
        assertThat(a.events().stream().filter("error"::equals)).hasSize(1);
    }

    @Test
    void remoteDataPassedOnAsRawJsonStillRegistersAnUnknownSender() throws Exception {
        RoomServiceTest.Recorder a = new RoomServiceTest.Recorder("pa", "alice");
        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        JsonNode raw = Json.MAPPER.getNodeFactory().rawValueNode(new com.fasterxml.jackson.databind.util.RawValue(
                "{\"room_id\":\"r\",\"sdp\":\"v=0\",\"from\":\"rz\",\"user_id\":\"zed\"}"));
        rooms.onRemote("r", new ClusterBus.RoomEvent("offer", null, "rz", raw));
        assertThat(a.events()).last().isEqualTo("offer");
        assertThat(Json.write(a.data().get(a.data().size() - 1))).contains("\"user_id\":\"zed\"");
        assertThat(rooms.usersIn("r")).containsExactly("alice", "zed");
    }

    @Test
    void remoteEventsReachLocalPeersOnceAndRelaysOnlyTheirTarget() throws Exception {
        RoomServiceTest.Recorder a = new RoomServiceTest.Recorder("pa", "alice");
        RoomServiceTest.Recorder c = new RoomServiceTest.Recorder("pc", "carol");
        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(c, "join", obj("{\"room_id\":\"r\"}"));
        bus.published.clear();
        rooms.onRemote("r", new ClusterBus.RoomEvent("peer-joined", null, "rb", notice("rb", "bob")));
        rooms.onRemote("r", new ClusterBus.RoomEvent("peer-joined", null, "rb", notice("rb", "bob"))); // again
        assertThat(a.events().stream().filter("peer-joined"::equals)).hasSize(2); // carol's join, bob's once
        assertThat(c.events().stream().filter("peer-joined"::equals)).hasSize(1);

        ObjectNode offer = Json.MAPPER.createObjectNode().put("room_id", "r").put("sdp", SDP).put("from", "rb");
        rooms.onRemote("r", new ClusterBus.RoomEvent("offer", "pc", "rb", offer));
        assertThat(c.events()).endsWith("offer");
        assertThat(a.events()).doesNotContain("offer");

        // with a remote member known, a broadcast from a local peer goes to the bus as well as to carol
        rooms.handle(a, "message", obj("{\"room_id\":\"r\",\"message\":\"hi\",\"sender\":\"Alice\"}"));
        assertThat(bus.published).containsExactly("r message to=null from=pa");

        rooms.onRemote("r", new ClusterBus.RoomEvent("peer-left", null, "rb", notice("rb", "bob")));
        rooms.onRemote("r", new ClusterBus.RoomEvent("peer-left", null, "rb", notice("rb", "bob"))); // reaper too
        assertThat(a.events().stream().filter("peer-left"::equals)).hasSize(1);
        rooms.handle(a, "message", obj("{\"room_id\":\"r\",\"message\":\"alone\",\"sender\":\"Alice\"}"));
        assertThat(bus.published).hasSize(1); // no remote member left: nothing published
        rooms.onRemote("elsewhere", new ClusterBus.RoomEvent("offer", null, "x", offer)); // a room we left: ignored

        // a sender whose peer-joined was lost (Redis outage) becomes known by what it sends
        ObjectNode chat = Json.MAPPER.createObjectNode().put("room_id", "r").put("message", "back")
                .put("user_id", "dave").put("from", "rd");
        rooms.onRemote("r", new ClusterBus.RoomEvent("message", null, "rd", chat));
        assertThat(rooms.usersIn("r")).containsExactly("alice", "carol", "dave");
        rooms.handle(a, "offer", obj("{\"room_id\":\"r\",\"to\":\"rd\"}").put("sdp", SDP));
        assertThat(bus.published).endsWith("r offer to=rd from=pa");
    }

    @Test
    void aRoomFullAcrossNodesIsRefusedAndLeavesNothingBehind() throws Exception {
        bus.full = true;
        assertThatThrownBy(() -> rooms.handle(new RoomServiceTest.Recorder("pa", "alice"), "join",
                obj("{\"room_id\":\"r\"}")))
                .isInstanceOfSatisfying(SignalingError.class, e -> assertThat(e.code()).isEqualTo("room_full"));
        assertThat(rooms.roomCount()).isZero();
        assertThat(bus.published).isEmpty();
    }

    @Test
    void aPeerThatClosedWhileJoiningIsUnregisteredAgain() throws Exception {
        Peer gone = new Peer() {
            @Override
            public String peerId() {
                return "pg";
            }

            @Override
            public String userId() {
                return "ghost";
            }

            @Override
            public void send(String event, JsonNode data) { }

            @Override
            public boolean isOpen() {
                return false;
            }
        };
        assertThatThrownBy(() -> rooms.handle(gone, "join", obj("{\"room_id\":\"r\"}")))
                .isInstanceOfSatisfying(SignalingError.class, e -> assertThat(e.code()).isEqualTo("disconnected"));
        assertThat(bus.calls).containsExactly("join r pg", "leave r pg");
        assertThat(rooms.roomCount()).isZero();
    }

    @Test
    void aJoinSentTwiceBeforeTheFirstCompletesKeepsTheMemberRegistered() throws Exception {
        bus.held = new ArrayList<>();
        RoomServiceTest.Recorder a = new RoomServiceTest.Recorder("pa", "alice");
        CompletionStage<JsonNode> first = rooms.handleAsync(a, "join", obj("{\"room_id\":\"r\"}"));
        CompletionStage<JsonNode> second = rooms.handleAsync(a, "join", obj("{\"room_id\":\"r\"}"));
        bus.held.forEach(f -> f.complete(List.of()));
        assertThat(first.toCompletableFuture().join().get("peer_id").asText()).isEqualTo("pa");
        assertThat(second.toCompletableFuture().join().get("peer_id").asText()).isEqualTo("pa");
        assertThat(bus.calls).containsExactly("join r pa", "join r pa", "handOff r pa"); // no leave: still a member
        assertThat(bus.published).containsExactly("r peer-joined to=null from=pa");
    }

    @Test
    void aHandedOffPeerLeavesWithoutPeerLeftAndIsAdoptedWithoutPeerJoined() throws Exception {
        RoomServiceTest.Recorder a = new RoomServiceTest.Recorder("pa", "alice");
        RoomServiceTest.Recorder s = new RoomServiceTest.Recorder("ps", "sam");
        rooms.handle(a, "join", obj("{\"room_id\":\"r\"}"));
        rooms.handle(s, "join", obj("{\"room_id\":\"r\",\"is_host\":true}"));
        bus.published.clear();

        JsonNode state = rooms.handOff(s);
        assertThat(state.toString()).isEqualTo("[{\"room_id\":\"r\",\"is_host\":true}]");
        assertThat(a.events()).doesNotContain("peer-left");
        assertThat(bus.calls).endsWith("handOff r ps");
        rooms.handle(a, "offer", obj("{\"room_id\":\"r\",\"to\":\"ps\"}").put("sdp", SDP)); // now remote
        assertThat(bus.published).containsExactly("r offer to=ps from=pa");

        RoomServiceTest.Recorder back = new RoomServiceTest.Recorder("ps", "sam");
        rooms.adopt(back, state);
        assertThat(bus.calls).endsWith("adopt r ps");
        rooms.handle(a, "offer", obj("{\"room_id\":\"r\",\"to\":\"ps\"}").put("sdp", SDP));
        assertThat(back.events()).containsExactly("offer");
        assertThat(a.events().stream().filter("peer-joined"::equals)).hasSize(1);
    }

    @Test
    void aPeerJoinedPublishedWhileOurJoinIsInFlightIsNotLost() throws Exception {
        // Our JOIN reached Redis first (it saw nobody); the other node's member joined next and its peer-joined
        // arrives before our join is committed here. It must still make that member known.
        RoomServiceTest.Recorder a = new RoomServiceTest.Recorder("pa", "alice");
        CompletionStage<JsonNode> joining = joinWhileBobArrives(a);
        bus.held.get(0).complete(List.of());

        JsonNode joined = joining.toCompletableFuture().join();
        assertThat(joined.get("peers")).hasSize(1);
        assertThat(joined.at("/peers/0/peer_id").asText()).isEqualTo("remote-1");
        rooms.handle(a, "offer", obj("{\"room_id\":\"r\",\"to\":\"remote-1\"}").put("sdp", SDP));
        assertThat(bus.published).contains("r offer to=remote-1 from=pa");
    }

    @Test
    void aRefusedJoinLeavesNoRoomBehindEvenWithNewsReceivedMeanwhile() throws Exception {
        RoomServiceTest.Recorder a = new RoomServiceTest.Recorder("pa", "alice");
        CompletionStage<JsonNode> joining = joinWhileBobArrives(a);
        assertThat(rooms.roomCount()).isOne();
        bus.held.get(0).completeExceptionally(new ClusterBus.RoomFullException());
        assertThatThrownBy(() -> joining.toCompletableFuture().join()).hasCauseInstanceOf(SignalingError.class);
        assertThat(rooms.roomCount()).isZero();
        rooms.onRemote("r", new ClusterBus.RoomEvent("peer-left", null, "remote-1", notice("remote-1", "bob")));
        assertThat(rooms.roomCount()).isZero();
    }

    /** {@code a} joins room r; before the bus answers, bob's peer-joined arrives from another node. */
    private CompletionStage<JsonNode> joinWhileBobArrives(RoomServiceTest.Recorder a) throws Exception {
        bus.held = new ArrayList<>();
        CompletionStage<JsonNode> joining = rooms.handleAsync(a, "join", obj("{\"room_id\":\"r\"}"));
        rooms.onRemote("r", new ClusterBus.RoomEvent("peer-joined", null, "remote-1", notice("remote-1", "bob")));
        return joining;
    }
}

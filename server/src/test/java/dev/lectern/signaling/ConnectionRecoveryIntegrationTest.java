package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Socket.IO connection state recovery (v4.6+ wire format) with raw frames: {@code pid} in the CONNECT reply, offsets
 * on events, resume with {@code {pid, offset}}; a peer that drops briefly misses nothing and the room never sees it go.
 */
class ConnectionRecoveryIntegrationTest {
    private static final String SDP = "v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_SIGNALING__DEV_MODE", "true", "LECTERN_SIGNALING__AD_HOC_ROOMS", "true",
                "LECTERN_SIGNALING__RECOVERY_WINDOW_MILLIS", "60000")), Map.of());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private WsClient open() throws Exception {
        WsClient c = WsClient.connect(http, "ws://127.0.0.1:" + server.signalingPort()
                + "/socket.io/?EIO=4&transport=websocket");
        assertThat(c.nextText()).startsWith("0{");
        return c;
    }

    private static JsonNode connect(WsClient c, String auth) throws Exception {
        c.send("40" + auth);
        String reply = c.nextText();
        assertThat(reply).startsWith("40{");
        return Json.MAPPER.readTree(reply.substring(2));
    }

    /** The next EVENT as its JSON array. */
    private static JsonNode event(WsClient c) throws Exception {
        String f = c.nextText();
        assertThat(f).startsWith("42");
        return Json.MAPPER.readTree(f.substring(2));
    }

    @Test
    void aDroppedPeerResumesWithItsIdAndGetsWhatItMissed() throws Exception {
        WsClient alice = open();
        JsonNode a = connect(alice, "{\"user_id\":\"alice\"}");
        String sid = a.get("sid").asText();
        String pid = a.get("pid").asText();
        alice.send("42[\"join\",{\"room_id\":\"r\"}]");
        JsonNode joined = event(alice);
        assertThat(joined.get(0).asText()).isEqualTo("joined");
        assertThat(joined.get(2).isTextual()).as("offset as the last argument").isTrue();

        WsClient bob = open();
        connect(bob, "{\"user_id\":\"bob\"}");
        bob.send("42[\"join\",{\"room_id\":\"r\"}]");
        assertThat(event(bob).get(0).asText()).isEqualTo("joined");
        assertThat(event(alice).get(0).asText()).isEqualTo("peer-joined");
        bob.send("421[\"offer\",{\"room_id\":\"r\",\"sdp\":\"" + SDP + "\"}]");
        JsonNode offer = event(alice);
        assertThat(offer.get(0).asText()).isEqualTo("offer");
        String offset = offer.get(2).asText();
        assertThat(bob.nextText()).startsWith("431[");

        alice.abort();
        bob.send("422[\"answer\",{\"room_id\":\"r\",\"to\":\"" + sid + "\",\"sdp\":\"" + SDP + "\"}]");
        assertThat(bob.nextText()).startsWith("432[{\"ok\":true");
        bob.send("423[\"candidate\",{\"room_id\":\"r\",\"to\":\"" + sid + "\",\"candidate\":null}]");
        assertThat(bob.nextText()).as("no peer-left while alice may still resume").startsWith("433[{\"ok\":true");

        WsClient back = open();
        JsonNode resumed = connect(back, "{\"user_id\":\"alice\",\"pid\":\"" + pid + "\",\"offset\":\"" + offset + "\"}");
        assertThat(resumed.get("sid").asText()).isEqualTo(sid);
        assertThat(resumed.get("pid").asText()).isEqualTo(pid);
        assertThat(event(back).get(0).asText()).isEqualTo("answer");
        assertThat(event(back).get(0).asText()).isEqualTo("candidate");
        back.send("42[\"message\",{\"room_id\":\"r\",\"message\":\"back\"}]");
        assertThat(event(bob).get(1).get("message").asText()).isEqualTo("back");
    }

    @Test
    void whatTheReplayBufferNoLongerHoldsIsNotReplayedTheClientStartsAfresh() throws Exception {
        server.close();
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_SIGNALING__DEV_MODE", "true", "LECTERN_SIGNALING__AD_HOC_ROOMS", "true",
                "LECTERN_SIGNALING__RECOVERY_WINDOW_MILLIS", "60000",
                "LECTERN_SIGNALING__RECOVERY_BUFFER_BYTES", "65536")), Map.of());
        Room room = aliceThenBob();
        WsClient alice = room.alice();
        JsonNode a = room.aliceConnect();
        WsClient bob = room.bob();
        String offset = event(alice).get(2).asText(); // peer-joined

        alice.abort();
        String bigSdp = SDP + "a=x:" + "y".repeat(4000) + "\\r\\n";
        for (int i = 0; i < 20; i++) { // ~80 KB for alice: more than the 64 KiB the buffer may hold
            bob.send("42" + (10 + i) + "[\"offer\",{\"room_id\":\"r\",\"sdp\":\"" + bigSdp + "\"}]");
            assertThat(bob.nextText()).startsWith("43" + (10 + i) + "[{\"ok\":true");
        }

        WsClient back = open();
        JsonNode fresh = connect(back, "{\"user_id\":\"alice\",\"pid\":\"" + a.get("pid").asText()
                + "\",\"offset\":\"" + offset + "\"}");
        assertThat(fresh.get("sid").asText()).as("a new socket, not a replay with holes")
                .isNotEqualTo(a.get("sid").asText());
        JsonNode left = event(bob);
        assertThat(left.get(0).asText()).isEqualTo("peer-left");
        assertThat(left.get(1).get("peer_id").asText()).isEqualTo(a.get("sid").asText());
    }

    @Test
    void aResumeUnderAnotherIdentityIsRefusedAndTheRoomSeesTheDropperLeave() throws Exception {
        Room room = aliceThenBob();
        WsClient alice = room.alice();
        JsonNode a = room.aliceConnect();
        String offset = room.aliceOffset();
        WsClient bob = room.bob();
        alice.abort();
        awaitParked(1); // only a parked socket can be claimed; a live one is never taken over by another user

        WsClient mallory = open();
        JsonNode m = connect(mallory, "{\"user_id\":\"mallory\",\"pid\":\"" + a.get("pid").asText()
                + "\",\"offset\":\"" + offset + "\"}");
        assertThat(m.get("sid").asText()).isNotEqualTo(a.get("sid").asText());
        JsonNode left = event(bob);
        assertThat(left.get(0).asText()).isEqualTo("peer-left");
        assertThat(left.get(1).get("peer_id").asText()).isEqualTo(a.get("sid").asText());
    }

    @Test
    void socketIoClientRecoversByItselfAndMissesNothing() throws Exception {
        NodePeer.assumeAvailable();
        String url = "http://127.0.0.1:" + server.signalingPort();
        try (NodePeer alice = new NodePeer(url, "{\"user_id\":\"alice\"}", "websocket", "reconnect");
                NodePeer bob = new NodePeer(url, "{\"user_id\":\"bob\"}", "websocket")) {
            String aliceId = alice.awaitKey("connect").asText();
            bob.awaitKey("connect");
            alice.emit("join", "{\"room_id\":\"r\"}", 1);
            alice.awaitAck(1);
            bob.emit("join", "{\"room_id\":\"r\"}", 1);
            bob.awaitAck(1);
            alice.awaitEvent("peer-joined");

            alice.command("{\"sever\":true}");
            alice.awaitKey("disconnect");
            bob.emit("offer", "{\"room_id\":\"r\",\"sdp\":\"" + SDP + "\"}", 2);
            assertThat(bob.awaitAck(2).get("ok").asBoolean()).isTrue();

            JsonNode back = alice.awaitLine("connect");
            assertThat(back.get("connect").asText()).isEqualTo(aliceId);
            assertThat(back.get("recovered").asBoolean()).isTrue();
            assertThat(alice.awaitEvent("offer").get("sdp").asText()).startsWith("v=0");
            alice.emit("message", "{\"room_id\":\"r\",\"message\":\"still here\"}", 3);
            JsonNode chat = bob.await(n -> n.has("event") && !"peer-joined".equals(n.get("event").asText()), "next event");
            assertThat(chat.get("event").asText()).as("no peer-left in between").isEqualTo("message");
        }
    }

    @Test
    void aClientBackBeforeItsDropIsNoticedTakesItsSocketOver() throws Exception {
        Room room = aliceThenBob();
        WsClient alice = room.alice();
        JsonNode a = room.aliceConnect();
        String offset = room.aliceOffset();
        WsClient bob = room.bob();
        event(alice); // peer-joined, not acknowledged by the resume below: it is replayed

        // the old transport is still open: the server has not seen any drop
        WsClient back = open();
        JsonNode resumed = connect(back, "{\"user_id\":\"alice\",\"pid\":\"" + a.get("pid").asText()
                + "\",\"offset\":\"" + offset + "\"}");
        assertThat(resumed.get("sid").asText()).isEqualTo(a.get("sid").asText());
        assertThat(event(back).get(0).asText()).isEqualTo("peer-joined");
        alice.awaitClose(); // the superseded transport is closed
        bob.send("42[\"message\",{\"room_id\":\"r\",\"message\":\"hi\"}]");
        assertThat(event(back).get(1).get("message").asText()).isEqualTo("hi");
        assertThat(event(bob).get(0).asText()).as("no peer-left").isEqualTo("message");
    }

    /** Alice joins room r (her first event's offset kept), then Bob; Bob has seen his joined. */
    private record Room(WsClient alice, JsonNode aliceConnect, String aliceOffset, WsClient bob) {}

    private Room aliceThenBob() throws Exception {
        WsClient alice = open();
        JsonNode a = connect(alice, "{\"user_id\":\"alice\"}");
        alice.send("42[\"join\",{\"room_id\":\"r\"}]");
        String offset = event(alice).get(2).asText();
        WsClient bob = open();
        connect(bob, "{\"user_id\":\"bob\"}");
        bob.send("42[\"join\",{\"room_id\":\"r\"}]");
        event(bob);
        return new Room(alice, a, offset, bob);
    }

    private void awaitParked(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.signaling().service().recoverableSockets() != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the dropped socket was not parked within 10 s");
            }
            Thread.sleep(5);
        }
    }

    @Test
    void anExplicitDisconnectIsNotRecoverable() throws Exception {
        WsClient alice = open();
        JsonNode a = connect(alice, "{\"user_id\":\"alice\"}");
        alice.send("42[\"join\",{\"room_id\":\"r\"}]");
        event(alice);
        WsClient bob = open();
        connect(bob, "{\"user_id\":\"bob\"}");
        bob.send("42[\"join\",{\"room_id\":\"r\"}]");
        event(bob);
        alice.send("1");
        JsonNode left = event(bob);
        assertThat(left.get(0).asText()).isEqualTo("peer-left");
        assertThat(left.get(1).get("peer_id").asText()).isEqualTo(a.get("sid").asText());
    }
}

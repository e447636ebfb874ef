package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #19 item 3, performed against the real server with a raw WebSocket: a client announced a binary event with 64
 * attachments ({@code 4564-["x"]}) and sent frames of 1 MB that the server held, before any namespace CONNECT and
 * without a token. Now nothing binary is taken before a CONNECT, and a packet's attachments together may not exceed
 * {@code signaling.maxPayloadBytes}: the session closes at the first frame over.
 */
class BinaryAttachmentLimitIntegrationTest {
    private static final int MAX = 1_000_000;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_SIGNALING__DEV_MODE", "true", "LECTERN_SIGNALING__AD_HOC_ROOMS", "true",
                "LECTERN_SIGNALING__MAX_PAYLOAD_BYTES", Integer.toString(MAX))), Map.of());
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

    @Test
    void binaryBeforeConnectClosesTheSessionAtTheFirstFrame() throws Exception {
        WsClient c = open();
        c.send("4564-[\"x\"]");
        try {
            c.sendBinary(new byte[MAX - 100]);
        } catch (java.util.concurrent.ExecutionException e) {
            // closed already at the announcement: nothing binary was taken
        }
        c.awaitClose(); // before: the server kept the session and every frame that followed
        assertThat(c.closed).isDone();
    }

    @Test
    void attachmentsAddingUpToMoreThanTheLimitCloseTheSession() throws Exception {
        WsClient c = open();
        c.send("40{\"user_id\":\"carol\"}");
        assertThat(c.nextText()).startsWith("40{\"sid\":");
        c.send("453-[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1},"
                + "{\"_placeholder\":true,\"num\":2}]");
        c.sendBinary(new byte[MAX / 2]);
        try {
            c.sendBinary(new byte[MAX / 2 + 1]);
        } catch (java.util.concurrent.ExecutionException e) {
            // the server may close before the frame is all written
        }
        c.awaitClose(); // before: held until all three arrived (and up to 64 MB per packet)
        assertThat(c.closed).isDone();
    }

    @Test
    void aConnectedClientMaySendAttachmentsWithinTheLimit() throws Exception {
        WsClient c = open();
        c.send("40{\"user_id\":\"carol\"}");
        assertThat(c.nextText()).startsWith("40{\"sid\":");
        c.send("452-7[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
        c.sendBinary(new byte[MAX / 2]);
        c.sendBinary(new byte[MAX / 2]);
        // the whole packet was taken: its ack (an error, the event is unknown) comes back on the open session
        String reply = c.nextText();
        while (!reply.startsWith("43")) {
            assertThat(reply).startsWith("42[\"error\""); // the unknown event is also reported as an error event
            reply = c.nextText();
        }
        assertThat(reply).startsWith("437[");
    }
}

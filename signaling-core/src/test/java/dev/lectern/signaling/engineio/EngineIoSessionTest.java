package dev.lectern.signaling.engineio;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The session state machine on an embedded event loop with a frozen clock (no sleeps). */
class EngineIoSessionTest {
    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final AtomicLong slow = new AtomicLong();
    private final List<String> events = new ArrayList<>();
    private final EngineIoServer server = new EngineIoServer(300, 200, 1000, 1_000_000, 3, slow, s -> s.listener(
            new EngineIoSession.Listener() {
                @Override
                public void onMessage(EngineIoSession session, EngineIoPacket packet) {
                    events.add("message " + packet.text());
                }

                @Override
                public void onClose(EngineIoSession session, String reason) {
                    events.add("close " + reason);
                }
            }));

    /** A WebSocket transport that records frames and can be made unwritable. */
    static final class FakeSocket implements EngineIoTransport {
        final List<String> sent = new ArrayList<>();
        boolean writable = true;
        boolean closed;

        @Override
        public boolean send(List<EngineIoPacket> packets) {
            packets.forEach(p -> sent.add(p.isBinary() ? "<binary>" : EngineIoPacketCodec.encode(p)));
            return writable;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** A pending GET that records its answer. */
    static final class FakePoll implements PollRequest {
        String body;
        int status;

        @Override
        public void respond(String payload) {
            body = payload;
            status = 200;
        }

        @Override
        public void reject(int code, String message) {
            status = code;
        }
    }

    @AfterEach
    void finish() {
        assertThat(loop.finishAndReleaseAll()).isFalse();
    }

    private EngineIoSession open(EngineIoTransport ws) {
        loop.freezeTime();
        EngineIoServer.Opened opened = server.open(loop.eventLoop(), ws);
        server.opened(opened.session());
        return opened.session();
    }

    private void advance(long millis) {
        loop.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
    }

    @Test
    void serverPingsAndClosesWithoutPong() {
        FakeSocket ws = new FakeSocket();
        EngineIoSession s = open(ws);
        advance(300);
        assertThat(ws.sent).containsExactly("2");
        s.onWebSocketPacket(ws, EngineIoPacket.PONG);
        advance(300);
        assertThat(ws.sent).containsExactly("2", "2");
        advance(199);
        assertThat(s.isOpen()).isTrue();
        advance(1);
        assertThat(s.isOpen()).isFalse();
        assertThat(ws.closed).isTrue();
        assertThat(events).containsExactly("close ping timeout");
        assertThat(server.get(s.sid())).isNull();
    }

    @Test
    void pollingBufferIsBoundedAndAnOverflowingSessionIsClosedAsSlow() {
        EngineIoSession s = open(null);
        for (int i = 0; i < 3; i++) {
            s.send(EngineIoPacket.message("m" + i));
        }
        assertThat(s.isOpen()).isTrue();
        s.send(EngineIoPacket.message("one too many"));
        assertThat(s.isOpen()).isFalse();
        assertThat(slow.get()).isEqualTo(1);
        assertThat(events).containsExactly("close slow consumer");
    }

    @Test
    void unwritableWebSocketIsClosedAsSlowAfterTheLimit() {
        FakeSocket ws = new FakeSocket();
        EngineIoSession s = open(ws);
        ws.writable = false;
        for (int i = 0; i < 3; i++) {
            s.send(EngineIoPacket.message("m" + i));
        }
        assertThat(s.isOpen()).isTrue();
        ws.writable = true;
        s.send(EngineIoPacket.message("drained"));
        ws.writable = false;
        for (int i = 0; i < 4; i++) {
            s.send(EngineIoPacket.message("n" + i));
        }
        assertThat(s.isOpen()).isFalse();
        assertThat(slow.get()).isEqualTo(1);
    }

    @Test
    void pollDeliversBufferedPacketsAsOnePayload() {
        EngineIoSession s = open(null);
        s.send(EngineIoPacket.message("a"));
        s.send(EngineIoPacket.binary(new byte[] {1, 2}));
        FakePoll poll = new FakePoll();
        s.onPoll(poll);
        assertThat(poll.body).isEqualTo("4a\u001ebAQI=");
        FakePoll waiting = new FakePoll();
        s.onPoll(waiting);
        assertThat(waiting.body).isNull();
        FakePoll overlapping = new FakePoll();
        s.onPoll(overlapping);
        assertThat(overlapping.status).isEqualTo(400);
        assertThat(waiting.body).isEqualTo("1");
        assertThat(s.isOpen()).isFalse();
    }

    @Test
    void upgradeProbeNoopAndSwitch() {
        EngineIoSession s = open(null);
        FakePoll pending = new FakePoll();
        s.onPoll(pending);
        FakeSocket ws = new FakeSocket();
        assertThat(s.onUpgradeRequest(ws)).isTrue();
        assertThat(s.onUpgradeRequest(new FakeSocket())).isFalse();
        s.onWebSocketPacket(ws, EngineIoPacketCodec.decode("2probe"));
        assertThat(ws.sent).containsExactly("3probe");
        assertThat(pending.body).isEqualTo("6");
        s.onWebSocketPacket(ws, EngineIoPacketCodec.decode("5"));
        assertThat(s.isWebSocket()).isTrue();
        FakePoll late = new FakePoll();
        s.onPoll(late);
        assertThat(late.status).isEqualTo(400);
        s.onWebSocketPacket(ws, EngineIoPacket.message("hi"));
        assertThat(events).containsExactly("message hi");
    }

    @Test
    void upgradeThatNeverCompletesIsAbandoned() {
        EngineIoSession s = open(null);
        FakeSocket ws = new FakeSocket();
        assertThat(s.onUpgradeRequest(ws)).isTrue();
        advance(1000);
        assertThat(ws.closed).isTrue();
        assertThat(s.onUpgradeRequest(new FakeSocket())).isTrue();
        s.close("test", false);
    }

    @Test
    void aPollReadAfterTheClientsCloseGetsOneNoop() {
        EngineIoSession s = open(null);
        assertThat(s.onPost("1")).isEqualTo(200);
        assertThat(server.get(s.sid())).isNull();
        FakePoll late = new FakePoll(); // looked the session up before the close, reached it after
        s.onPoll(late);
        assertThat(late.body).isEqualTo("6");
        FakePoll later = new FakePoll();
        s.onPoll(later);
        assertThat(later.status).as("only once").isEqualTo(400);
        assertThat(server.takeLatePollOfClosed(s.sid())).isFalse();
        assertThat(server.takeLatePollOfClosed("unknown")).isFalse();
        EngineIoSession other = open(null);
        other.onPost("1");
        advance(500);
        assertThat(server.takeLatePollOfClosed(other.sid())).as("forgotten after ping interval + timeout").isFalse();
    }

    @Test
    void clientCloseAnswersThePendingPollWithNoop() {
        EngineIoSession s = open(null);
        FakePoll pending = new FakePoll();
        s.onPoll(pending);
        assertThat(s.onPost("1")).isEqualTo(200);
        assertThat(pending.body).isEqualTo("6");
        assertThat(events).containsExactly("close client close");
        assertThat(server.takeLatePollOfClosed(s.sid())).as("the pending poll already had its noop").isFalse();
        assertThat(s.onPost("4x")).isEqualTo(400);
    }
}

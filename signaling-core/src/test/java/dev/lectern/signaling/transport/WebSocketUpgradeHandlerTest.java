package dev.lectern.signaling.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.netty.PipelineNames;
import dev.lectern.signaling.JsonWsConnection;
import dev.lectern.signaling.JsonWsEndpoint;
import dev.lectern.signaling.JsonWsSink;
import dev.lectern.signaling.OriginPolicy;
import dev.lectern.signaling.engineio.EngineIoServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * WebSocket upgrades through the real HTTP codec on an EmbeddedChannel: the pipeline the upgrader leaves behind, the
 * {@link WebSocketUpgraded} event reaching the handler of each kind, refusals that leave HTTP in place, and the frame
 * aggregator installed by a fragmented message.
 */
class WebSocketUpgradeHandlerTest {
    private static final String KEY_HEADERS = "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    private final EngineIoServer eio =
            new EngineIoServer(25_000, 20_000, 10_000, 1_000, 16, new AtomicLong(), s -> { });
    private final Endpoint json = new Endpoint();
    private final EmbeddedChannel ch = new EmbeddedChannel();

    /** The /ws side of the service: accepts the token "good" only, and records what each connection receives. */
    private static final class Endpoint implements JsonWsEndpoint {
        final List<String> texts = new ArrayList<>();
        Principal opened;
        boolean closed;

        @Override
        public CompletionStage<Principal> authenticate(String token, String devUserId) {
            return "good".equals(token) ? CompletableFuture.completedFuture(new Principal("u1", Role.STUDENT, "t1"))
                    : CompletableFuture.failedFuture(new InvalidTokenException("bad token"));
        }

        @Override
        public JsonWsConnection open(Principal principal, JsonWsSink sink) {
            opened = principal;
            return new JsonWsConnection() {
                @Override
                public void onText(String frame) {
                    texts.add(frame);
                }

                @Override
                public void onClose() {
                    closed = true;
                }
            };
        }
    }

    WebSocketUpgradeHandlerTest() {
        ch.pipeline().addLast(PipelineNames.HTTP_DECODER, new HttpRequestDecoder());
        ch.pipeline().addLast(PipelineNames.HTTP_ENCODER, new HttpResponseEncoder());
        ch.pipeline().addLast(PipelineNames.SIGNALING, new SignalingInitializer(new SignalingEndpoints(
                Map.of("/socket.io/", eio), json, new OriginPolicy(List.of("*")), 1_000, 25_000, 20_000)));
        ch.pipeline().addLast(PipelineNames.HTTP_DISPATCH, new ChannelInboundHandlerAdapter());
    }

    @AfterEach
    void finish() {
        eio.closeAll();
        ch.runPendingTasks();
        written(); // the close frames of sessions closed just now
        ch.close();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    private void request(String head) {
        ch.writeInbound(Unpooled.copiedBuffer(head + KEY_HEADERS, StandardCharsets.ISO_8859_1));
        ch.runPendingTasks();
    }

    /** Everything written so far, as text (HTTP responses, and unmasked server frames whose payload is text). */
    private String written() {
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return out.toString();
    }

    /** A client frame, masked with a zero key so the payload stays readable; {@code fin} false for a fragment. */
    private static ByteBuf clientFrame(int opcode, boolean fin, String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = Unpooled.buffer();
        b.writeByte((fin ? 0x80 : 0) | opcode).writeByte(0x80 | payload.length).writeInt(0).writeBytes(payload);
        return b;
    }

    @Test
    void engineIoUpgradeLeavesOnlyTheWebSocketTransportAndOpensTheSessionOnTheEvent() {
        request("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n");
        String out = written();
        assertThat(out).startsWith("HTTP/1.1 101").contains("0{\"sid\":");
        assertThat(eio.size()).isEqualTo(1);
        assertThat(ch.pipeline().names()).contains(PipelineNames.WEBSOCKET_TRANSPORT).doesNotContain(
                PipelineNames.SIGNALING_ROUTER, PipelineNames.ENGINE_IO_POLLING, PipelineNames.WEBSOCKET_UPGRADE,
                PipelineNames.HTTP_DISPATCH, PipelineNames.HTTP_DECODER, PipelineNames.HTTP_ENCODER);
        assertThat(ch.pipeline().last()).isInstanceOf(EngineIoWebSocketHandler.class);
    }

    @Test
    void jsonUpgradeAuthenticatesThenStartsTheConnectionAndAFragmentedMessageInstallsTheAggregator() {
        request("GET /ws?token=good HTTP/1.1\r\n");
        assertThat(written()).startsWith("HTTP/1.1 101");
        assertThat(json.opened).isEqualTo(new Principal("u1", Role.STUDENT, "t1"));
        assertThat(ch.pipeline().last()).isInstanceOf(JsonWsHandler.class);
        assertThat(ch.pipeline().get(PipelineNames.WS_FRAME_AGGREGATOR)).isNull();

        ch.writeInbound(clientFrame(0x1, true, "{\"event\":\"a\"}"));
        ch.writeInbound(clientFrame(0x1, false, "{\"event\":"), clientFrame(0x0, true, "\"b\"}"));
        assertThat(json.texts).containsExactly("{\"event\":\"a\"}", "{\"event\":\"b\"}");
        assertThat(ch.pipeline().get(PipelineNames.WS_FRAME_AGGREGATOR)).isNotNull();
        ch.close();
        assertThat(json.closed).isTrue();
    }

    @Test
    void refusedUpgradesAnswerOverHttpAndChangeNothing() {
        request("GET /ws?token=forged HTTP/1.1\r\n");
        assertThat(written()).startsWith("HTTP/1.1 401").contains("unauthorized");
        assertThat(json.opened).isNull();
        assertThat(ch.pipeline().get(PipelineNames.WEBSOCKET_TRANSPORT)).isNull();
        assertThat(ch.isOpen()).isFalse(); // an error response ends the connection
    }

    @Test
    void anUnknownSidIsRefusedBeforeTheHandshake() {
        request("GET /socket.io/?EIO=4&transport=websocket&sid=nope HTTP/1.1\r\n");
        assertThat(written()).startsWith("HTTP/1.1 400").contains("Session ID unknown");
        assertThat(eio.size()).isZero();
        assertThat(ch.pipeline().get(PipelineNames.WEBSOCKET_TRANSPORT)).isNull();
    }
}

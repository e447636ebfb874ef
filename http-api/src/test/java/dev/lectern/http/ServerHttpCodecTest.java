package dev.lectern.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.http.internal.RawHttpContent;
import dev.lectern.core.http.internal.RawHttpResponse;
import dev.lectern.http.internal.ServerHttpCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server's decoder and encoder with the dispatcher, bytes in and bytes out: raw responses get the dispatcher's
 * headers and go out as they are, HEAD answers have no body, and the connection closes when the request, the response
 * or a smuggling attempt says so.
 */
class ServerHttpCodecTest {
    private final Router router = Router.builder()
            .get("/hello").handle(r -> ApiResponse.json(Map.of("hello", "world")).async())
            .get("/raw").tunnel(r -> new Answer(ctx -> ctx.writeAndFlush(new RawHttpResponse(201,
                    ascii("HTTP/1.1 201 Created\r\ncontent-length: 2\r\n"), ascii("ok"), true))))
            .get("/raw-parts").tunnel(r -> new Answer(ctx -> {
                ctx.write(new RawHttpResponse(200, ascii("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n"),
                        ascii("3\r\nabc\r\n"), false));
                ctx.write(new RawHttpContent(ascii("2\r\nde\r\n"), false));
                ctx.writeAndFlush(new RawHttpContent(ascii("0\r\n\r\n"), true));
            }))
            .get("/unframed").tunnel(r -> new Answer(ctx -> {
                ctx.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
                ctx.write(new DefaultHttpContent(ascii("until ")));
                ctx.writeAndFlush(new DefaultLastHttpContent(ascii("the close")));
            }))
            .build();
    private final HttpApp app = TestApps.app(router, Map.of("LECTERN_HTTP__CORS__ALLOWED_ORIGINS",
            "https://app.example"));
    private final EmbeddedChannel ch = new EmbeddedChannel();

    ServerHttpCodecTest() {
        ServerHttpCodec.addTo(ch.pipeline(), new HttpDecoderConfig());
        HttpEdgeInitializer.addTo(ch.pipeline(), app);
    }

    @AfterEach
    void finish() {
        assertThat(ch.finishAndReleaseAll()).isFalse();
        app.blocking().close();
    }

    /** A streaming handler that answers once the request has been read. */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final Consumer<ChannelHandlerContext> answer;

        Answer(Consumer<ChannelHandlerContext> answer) {
            this.answer = answer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean last = msg instanceof LastHttpContent;
            ReferenceCountUtil.release(msg);
            if (last) {
                answer.accept(ctx);
            }
        }
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, ISO_8859_1);
    }

    /** Sends the bytes and returns everything written back. */
    private String exchange(String request) {
        ch.writeInbound(ascii(request));
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            out.append(b.toString(ISO_8859_1));
            b.release();
        }
        return out.toString();
    }

    @Test
    void aRawResponseGetsTheDispatchersHeadersAndGoesOutAsItIs() {
        String out = exchange("GET /raw HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n"
                + "X-Request-Id: req-7\r\n\r\n");
        assertThat(out).isEqualTo("HTTP/1.1 201 Created\r\ncontent-length: 2\r\nX-Request-Id: req-7\r\n"
                + "Access-Control-Allow-Origin: https://app.example\r\nVary: Origin\r\n"
                + "Access-Control-Allow-Credentials: true\r\n"
                + "Access-Control-Expose-Headers: X-Request-Id, X-New-Token, Retry-After\r\n\r\nok");
        assertThat(ch.isOpen()).isTrue();

        String parts = exchange("GET /raw-parts HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-8\r\n\r\n");
        assertThat(parts).isEqualTo("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nX-Request-Id: req-8\r\n\r\n"
                + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aRawResponseToARequestThatAsksForACloseSaysSoAndCloses() {
        String out = exchange("GET /raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: req-9\r\n\r\n");
        assertThat(out).isEqualTo("HTTP/1.1 201 Created\r\ncontent-length: 2\r\nX-Request-Id: req-9\r\n"
                + "connection: close\r\n\r\nok");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aStreamedResponseWithoutALengthEndsWithTheConnection() {
        String out = exchange("GET /unframed HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(out).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("connection: close\r\n")
                .endsWith("\r\n\r\nuntil the close");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void theAnswerToAHeadHasNoBodyAndTheNextAnswerHasItsOwn() {
        String out = exchange("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        int second = out.indexOf("HTTP/1.1 200", 1);
        assertThat(second).isPositive();
        String head = out.substring(0, second);
        assertThat(head).containsIgnoringCase("content-length: 17").endsWith("\r\n\r\n");
        assertThat(out.substring(second)).endsWith("\r\n\r\n{\"hello\":\"world\"}");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aRequestWithBothLengthAndChunkedIsRefusedAndTheConnectionCloses() {
        String out = exchange("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
                + "\r\n0\r\n\r\n");
        assertThat(out).startsWith("HTTP/1.1 400 Bad Request\r\n").containsIgnoringCase("connection: close");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void tooManyRequestsWithoutAnAnswerCloseTheConnection() {
        // the dispatcher refuses long before (it queues a few requests, not this many): here nothing answers at all
        EmbeddedChannel raw = new EmbeddedChannel();
        ServerHttpCodec.addTo(raw.pipeline(), new HttpDecoderConfig());
        raw.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        });
        raw.writeInbound(ascii("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".repeat(ServerHttpCodec.MAX_PIPELINE_DEPTH)));
        assertThat(raw.isOpen()).isTrue();
        raw.writeInbound(ascii("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertThat(raw.isOpen()).isFalse();
        assertThat(raw.finishAndReleaseAll()).isFalse();
    }
}

package dev.lectern.signaling.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.netty.PipelineNames;
import dev.lectern.signaling.OriginPolicy;
import dev.lectern.signaling.engineio.EngineIoServer;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP side of signaling on an EmbeddedChannel (router, long-polling, upgrader, as {@link SignalingInitializer}
 * installs them): what it claims, what it passes on, what it refuses.
 */
class SignalingRouterHandlerTest {
    private final EngineIoServer eio = new EngineIoServer(25_000, 20_000, 10_000, 64, 16, new AtomicLong(), s -> { });
    private final EmbeddedChannel ch = newChannel();

    private EmbeddedChannel newChannel() {
        EmbeddedChannel c = new EmbeddedChannel();
        c.pipeline().addLast(PipelineNames.SIGNALING, new SignalingInitializer(new SignalingEndpoints(
                Map.of("/socket.io/", eio), null, new OriginPolicy(List.of("https://app.example.com")), 64,
                25_000, 20_000)));
        return c;
    }

    @AfterEach
    void finish() {
        eio.closeAll();
        ch.runPendingTasks();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    private FullHttpResponse response() {
        ch.runPendingTasks();
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(FullHttpResponse.class);
        return (FullHttpResponse) out;
    }

    private static String body(FullHttpResponse r) {
        try {
            return r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    /** A polling handshake; returns the new session's id. */
    private String openSession() {
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/socket.io/?EIO=4&transport=polling"));
        String open = body(response());
        int at = open.indexOf("\"sid\":\"") + 7;
        return open.substring(at, open.indexOf('"', at));
    }

    @Test
    void otherRequestsAndTheirBodiesPassThroughUntouched() {
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/rooms");
        HttpContent part = new DefaultHttpContent(Unpooled.copiedBuffer("{\"a\":", StandardCharsets.UTF_8));
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.copiedBuffer("1}", StandardCharsets.UTF_8));
        ch.writeInbound(req, part, last);
        assertThat((Object) ch.readInbound()).isSameAs(req);
        Object p = ch.readInbound();
        Object l = ch.readInbound();
        assertThat(p).isSameAs(part);
        assertThat(l).isSameAs(last);
        ReferenceCountUtil.release(p);
        ReferenceCountUtil.release(l);
        assertThat((Object) ch.readOutbound()).isNull();
        FullHttpRequest ws = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ws");
        ch.writeInbound(ws);
        Object passed = ch.readInbound();
        assertThat(passed).isSameAs(ws); // no JSON dialect configured here
        ReferenceCountUtil.release(passed);
    }

    @Test
    void pollingHandshakeAndBadRequests() {
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/socket.io/?EIO=4&transport=polling"));
        FullHttpResponse open = response();
        assertThat(open.status().code()).isEqualTo(200);
        assertThat(body(open)).startsWith("0{\"sid\":");
        for (String uri : new String[] {"/socket.io/?EIO=3&transport=polling", "/socket.io/?EIO=4&transport=x",
                "/socket.io/?EIO=4&transport=polling&sid=unknown", "/socket.io/?EIO=4&transport=websocket"}) {
            EmbeddedChannel c = newChannel();
            c.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri));
            FullHttpResponse r = c.readOutbound();
            assertThat(r.status().code()).as(uri).isEqualTo(400);
            assertThat(body(r)).contains("\"code\"");
            assertThat(c.isOpen()).isFalse(); // error responses close the connection
            assertThat(c.finishAndReleaseAll()).isFalse();
        }
    }

    @Test
    void foreignOriginsAreRefused() {
        FullHttpRequest foreign = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/socket.io/?EIO=4&transport=polling");
        foreign.headers().set(HttpHeaderNames.ORIGIN, "https://evil.example");
        ch.writeInbound(foreign);
        FullHttpResponse r = response();
        assertThat(r.status().code()).isEqualTo(403);
        r.release();
    }

    @Test
    void listedOriginGetsCorsHeaders() {
        FullHttpRequest listed = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/socket.io/?EIO=4&transport=polling");
        listed.headers().set(HttpHeaderNames.ORIGIN, "https://app.example.com");
        ch.writeInbound(listed);
        FullHttpResponse r = response();
        assertThat(r.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo("https://app.example.com");
        r.release();
    }

    @Test
    void oversizedPollingBodyIsRefusedWithoutBuffering() {
        String sid = openSession();
        HttpRequest post = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/socket.io/?EIO=4&transport=polling&sid=" + sid);
        ch.writeInbound(post, new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[50])),
                new DefaultLastHttpContent(Unpooled.wrappedBuffer(new byte[50])));
        FullHttpResponse r = response();
        assertThat(r.status().code()).isEqualTo(413);
        r.release();
        assertThat(eio.get(sid)).isNull();
    }

    @Test
    void aPostBodyInPartsReachesTheSessionAndTheNextRequestPassesOn() {
        String sid = openSession();
        HttpRequest post = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/socket.io/?EIO=4&transport=polling&sid=" + sid);
        ch.writeInbound(post, new DefaultHttpContent(Unpooled.copiedBuffer("1", StandardCharsets.UTF_8)),
                LastHttpContent.EMPTY_LAST_CONTENT);
        FullHttpResponse r = response();
        assertThat(r.status().code()).isEqualTo(200);
        assertThat(body(r)).isEqualTo("ok");
        assertThat(eio.get(sid)).isNull(); // "1" is the close packet
        assertThat((Object) ch.readInbound()).isNull();

        HttpRequest rest = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/rooms");
        LastHttpContent restBody = new DefaultLastHttpContent(Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8));
        ch.writeInbound(rest, restBody);
        assertThat((Object) ch.readInbound()).isSameAs(rest);
        Object passed = ch.readInbound();
        assertThat(passed).isSameAs(restBody);
        ReferenceCountUtil.release(passed);
    }
}

package dev.lectern.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Keep-alive on an EmbeddedChannel: what reaches the handlers after it, and when the connection closes. */
class KeepAliveHandlerTest {
    private final AtomicBoolean draining = new AtomicBoolean();
    /** The URIs of the requests handed on, in order; their messages are released at once. */
    private final List<String> handedOn = new ArrayList<>();
    private final EmbeddedChannel ch = new EmbeddedChannel(new KeepAliveHandler(draining::get),
            new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof HttpRequest r) {
                        handedOn.add(r.uri());
                    }
                    ReferenceCountUtil.release(msg);
                }
            });

    @AfterEach
    void finish() {
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    private static FullHttpRequest get(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    private static FullHttpResponse ok() {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer(new byte[] {'o', 'k'}));
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
        return r;
    }

    private HttpResponse answer(HttpObject response) {
        ch.writeOutbound(response);
        HttpResponse out = ch.readOutbound();
        ReferenceCountUtil.release(out);
        return out;
    }

    @Test
    void aKeptAliveConnectionStaysOpenAndTheResponseIsLeftAlone() {
        ch.writeInbound(get("/a"));
        HttpResponse r = answer(ok());
        assertThat(r.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.config().isAutoRead()).isTrue();
    }

    @Test
    void aRequestThatAsksForACloseGetsConnectionCloseAndTheConnectionCloses() {
        FullHttpRequest req = get("/a");
        req.headers().set(HttpHeaderNames.CONNECTION, "close");
        ch.writeInbound(req);
        assertThat(answer(ok()).headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aResponseWhoseEndOnlyTheCloseTellsClosesTheConnection() {
        ch.writeInbound(get("/a"));
        ch.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        HttpResponse head = ch.readOutbound();
        assertThat(head.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(ch.isOpen()).isTrue();
        ch.writeOutbound(new DefaultLastHttpContent(Unpooled.copiedBuffer(new byte[] {'x'})));
        ReferenceCountUtil.release(ch.readOutbound());
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void whileTheServerDrainsEveryResponseClosesItsConnection() {
        draining.set(true);
        ch.writeInbound(get("/a"));
        assertThat(answer(ok()).headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aPipelinedRequestWaitsUntilTheOneBeforeIsAnswered() {
        ch.writeInbound(get("/first"), get("/second"));
        assertThat(handedOn).containsExactly("/first");
        assertThat(ch.config().isAutoRead()).isFalse(); // the rest waits in the socket
        answer(ok());
        ch.runPendingTasks();
        assertThat(handedOn).containsExactly("/first", "/second");
        assertThat(ch.config().isAutoRead()).isTrue();
        answer(ok());
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aRequestAnsweredBeforeItsBodyEndedIsDoneWhenTheBodyIsRead() {
        HttpRequest first = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/first");
        first.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        ch.writeInbound(first);
        answer(ok()); // e.g. a 404: the rest of the body is still read
        ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(new byte[] {'b'})));
        assertThat(ch.isOpen()).isTrue();
        ch.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT, get("/second"));
        assertThat(handedOn).containsExactly("/first", "/second");
        answer(ok());
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aHundredContinueIsNotTheAnswer() {
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        req.headers().set(HttpHeaderNames.CONTENT_LENGTH, 1);
        req.headers().set(HttpHeaderNames.CONNECTION, "close");
        ch.writeInbound(req, get("/next"));
        HttpResponse cont = answer(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        assertThat(cont.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
        assertThat(ch.isOpen()).isTrue();
        ch.writeInbound(new DefaultLastHttpContent(Unpooled.copiedBuffer(new byte[] {'b'})));
        assertThat(answer(ok()).headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();
        assertThat(handedOn).containsExactly("/upload"); // the request behind a closing answer is never handed on
    }

    @Test
    void tooManyPipelinedMessagesCloseTheConnection() {
        ch.writeInbound(get("/0"));
        for (int i = 1; i <= KeepAliveHandler.MAX_QUEUED_MESSAGES + 1 && ch.isOpen(); i++) {
            ch.writeInbound(get("/" + i));
        }
        assertThat(ch.isOpen()).isFalse();
        assertThat(handedOn).containsExactly("/0");
    }
}

package dev.lectern.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HttpTimeoutHandlerTest {
    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new HttpTimeoutHandler(1000, 300));
        return ch;
    }

    @Test
    void idleConnectionIsClosed() {
        EmbeddedChannel ch = channel();
        ch.advanceTimeBy(999, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void slowBodyGets408AndClose() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/x"));
        Object req = ch.readInbound();
        assertThat(req).isNotNull();
        ch.advanceTimeBy(301, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        FullHttpResponse r = ch.readOutbound();
        assertThat(r.status().code()).isEqualTo(408);
        r.release();
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void noTimerWhileTheRequestIsHandledThenIdleAgain() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/sse"), LastHttpContent.EMPTY_LAST_CONTENT);
        ch.readInbound();
        ch.readInbound();
        ch.advanceTimeBy(10, TimeUnit.SECONDS); // a long stream
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        FullHttpResponse out = ch.readOutbound();
        out.release();
        ch.advanceTimeBy(1001, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }
}

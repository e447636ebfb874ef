package dev.lectern.media.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.core.netty.ChannelAttrs;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The browser leg on its own: what reaches the avatar, and what the browser gets when the avatar cannot be reached. */
class ProxyFrontendHandlerTest {
    // an EmbeddedChannel's loop cannot host a socket: every backend connect fails, as for an instance that is down
    private final BackendPool pool = new BackendPool(4, 1000);

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void onlyOnePlainPathSegmentIsAccepted() {
        assertThat(ProxyFrontendHandler.isValidPath("offer")).isTrue();
        assertThat(ProxyFrontendHandler.isValidPath("interrupt_talk")).isTrue();
        assertThat(ProxyFrontendHandler.isValidPath("record.mp4")).isTrue();
        for (String bad : new String[] {"", ".", "..", ".env", "a/b", "a?b", "a#b", "%2e", "a b", "@host", "a:1",
                "x".repeat(65), null}) {
            assertThat(ProxyFrontendHandler.isValidPath(bad)).as(String.valueOf(bad)).isFalse();
        }
        assertThatThrownBy(() -> new ProxyFrontendHandler(pool, 10000, "../admin", 1000))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUnreachableInstanceGetsA502JsonAndTheUnsentBodyIsReleased() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new ProxyFrontendHandler(pool, 10000, "offer", 1000));
        ch.attr(ChannelAttrs.REQUEST_ID).set("req-1");
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/webrtc/offer");
        req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 10);
        // the body part that was already read when the connect failed is released, not forwarded or leaked
        ch.writeInbound(req, new DefaultHttpContent(Unpooled.copiedBuffer("{\"sdp\":", StandardCharsets.UTF_8)));
        ch.runPendingTasks();

        FullHttpResponse r = ch.readOutbound();
        try {
            assertThat(r.status().code()).isEqualTo(502);
            // the rest of the body will not be read: the connection closes after the answer
            assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualToIgnoringCase("close");
            JsonNode body = Json.MAPPER.readTree(ByteBufUtil.getBytes(r.content()));
            assertThat(body.get("error").asText()).isEqualTo("bad_gateway");
            assertThat(body.get("requestId").asText()).isEqualTo("req-1");
        } finally {
            r.release();
        }
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aHandlerIsNotReusedBeforeItsExchangeIsOver() throws Exception {
        ProxyFrontendHandler handler = new ProxyFrontendHandler(pool, 10000, "offer", 1000);
        EmbeddedChannel ch = new EmbeddedChannel(handler);
        assertThat(handler.isIdle()).isFalse(); // made for a request that has not arrived yet
        assertThat(handler.reuse(10000, "human", 1000)).isFalse();

        // here the connect fails at once, before the end of the request is read: answered with Connection: close,
        // so no later request can reach this handler
        ch.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api/webrtc/offer"),
                LastHttpContent.EMPTY_LAST_CONTENT);
        ch.runPendingTasks();
        FullHttpResponse r = ch.readOutbound();
        try {
            assertThat(r.status().code()).isEqualTo(502);
            assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualToIgnoringCase("close");
        } finally {
            r.release();
        }
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }
}

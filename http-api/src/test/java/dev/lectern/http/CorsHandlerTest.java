package dev.lectern.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.config.HttpConfig;
import dev.lectern.core.http.internal.RawHttpResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CORS headers on an EmbeddedChannel: for listed origins only, on Netty's responses and on raw ones. */
class CorsHandlerTest {
    private final EmbeddedChannel ch = new EmbeddedChannel(new CorsHandler(new CorsPolicy(
            new HttpConfig.Cors(List.of("https://app.example"), true, 600))));

    @AfterEach
    void finish() {
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    private void request(String origin) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x");
        if (origin != null) {
            r.headers().set(HttpHeaderNames.ORIGIN, origin);
        }
        ch.writeInbound(r);
        ReferenceCountUtil.release(ch.readInbound());
    }

    private FullHttpResponse respond() {
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        FullHttpResponse r = ch.readOutbound();
        r.release();
        return r;
    }

    @Test
    void aListedOriginGetsItsHeadersAndOthersGetNone() {
        request("https://app.example");
        FullHttpResponse r = respond();
        assertThat(r.headers().get("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
        assertThat(r.headers().get("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(r.headers().get("Vary")).isEqualTo("Origin");

        request("https://evil.example");
        assertThat(respond().headers().contains("Access-Control-Allow-Origin")).isFalse();
        request(null);
        assertThat(respond().headers().contains("Access-Control-Allow-Origin")).isFalse();
    }

    @Test
    void aRawResponseGetsTheHeadersInItsHead() {
        request("https://app.example");
        ch.writeOutbound(new RawHttpResponse(200, Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\n", ISO_8859_1),
                Unpooled.EMPTY_BUFFER, true));
        RawHttpResponse raw = ch.readOutbound();
        ByteBuf[] bytes = raw.encode(4096);
        raw.release();
        StringBuilder text = new StringBuilder();
        for (ByteBuf b : bytes) {
            text.append(b.toString(ISO_8859_1));
            b.release();
        }
        assertThat(text.toString()).contains("Access-Control-Allow-Origin: https://app.example\r\n");
    }
}

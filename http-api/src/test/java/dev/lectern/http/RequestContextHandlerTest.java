package dev.lectern.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.netty.ChannelAttrs;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The request context on an EmbeddedChannel: ids, decoded paths, the in-flight count and the request timer. */
class RequestContextHandlerTest {
    private final HttpApp app = TestApps.app(Router.builder().build(), Map.of());
    private final EmbeddedChannel ch = new EmbeddedChannel(new RequestContextHandler(app));

    @AfterEach
    void finish() {
        assertThat(ch.finishAndReleaseAll()).isFalse();
        app.blocking().close();
    }

    private RequestContext request(FullHttpRequest r) {
        ch.writeInbound(r);
        ReferenceCountUtil.release(ch.readInbound());
        return RequestContextHandler.of(ch);
    }

    private long timed(String template, int status) {
        Timer t = app.meters().find("http.server.requests").tag("uri", template)
                .tag("status", Integer.toString(status)).timer();
        return t == null ? 0 : t.count();
    }

    @Test
    void aRequestGetsAnIdADecodedPathAndItsAnswerTheIdHeaderAndATimerEntry() {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a%20b?x=1&x=2");
        r.headers().set("X-Request-Id", "abc-123");
        RequestContext rc = request(r);
        assertThat(rc.requestId()).isEqualTo("abc-123");
        assertThat(rc.path()).isEqualTo("/a b");
        assertThat(rc.query()).isEqualTo(Map.of("x", List.of("1", "2")));
        assertThat(ch.attr(ChannelAttrs.REQUEST_ID).get()).isEqualTo("abc-123");
        assertThat(app.inFlight()).isEqualTo(1);
        rc.matched("/a {b}");

        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CREATED));
        FullHttpResponse out = ch.readOutbound();
        assertThat(out.headers().get("X-Request-Id")).isEqualTo("abc-123");
        out.release();
        assertThat(app.inFlight()).isZero();
        assertThat(timed("/a {b}", 201)).isEqualTo(1);
    }

    @Test
    void aStreamedAnswerIsCountedAtItsLastPartAndAHundredContinueIsNotAnAnswer() {
        request(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/s"));
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        ReferenceCountUtil.release(ch.readOutbound());
        assertThat(app.inFlight()).isEqualTo(1);
        ch.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.ACCEPTED));
        HttpResponse head = ch.readOutbound();
        assertThat(head.headers().get("X-Request-Id")).matches("[a-z0-9]{16}");
        assertThat(app.inFlight()).isEqualTo(1);
        ch.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        ch.readOutbound();
        assertThat(app.inFlight()).isZero();
        assertThat(timed("UNMATCHED", 202)).isEqualTo(1);
    }

    @Test
    void aMalformedRequestOrUriHasNoPathAndAClientThatLeavesIsCounted499() {
        FullHttpRequest bad = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x");
        bad.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad")));
        assertThat(request(bad).path()).isNull();
        assertThat(request(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/%zz")).path()).isNull();
        assertThat(timed("UNMATCHED", 499)).isEqualTo(1); // the first was never answered
        ch.close();
        assertThat(app.inFlight()).isZero();
        assertThat(timed("UNMATCHED", 499)).isEqualTo(2);
    }
}

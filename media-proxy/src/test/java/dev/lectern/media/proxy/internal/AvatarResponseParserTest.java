package dev.lectern.media.proxy.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The avatar's responses as bytes: what reaches the browser, whole and split at every byte, and what is refused. */
class AvatarResponseParserTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    /** What the parser handed on, copied out (every buffer it gets is released at once). */
    private static final class Collected implements AvatarResponseParser.Sink {
        final List<String> heads = new ArrayList<>();
        final StringBuilder body = new StringBuilder();
        int status;
        boolean keepAlive;
        boolean complete;
        int completions;
        boolean extra;

        @Override
        public void onHead(int status, ByteBuf head, boolean keepAlive, boolean complete) {
            heads.add(head.toString(ISO_8859_1));
            head.release();
            this.status = status;
            this.keepAlive = keepAlive;
            done(complete);
        }

        @Override
        public void onBody(ByteBuf part, boolean complete) {
            assertThat(this.complete).as("nothing after the end").isFalse();
            body.append(part.toString(ISO_8859_1));
            part.release();
            done(complete);
        }

        private void done(boolean complete) {
            if (complete) {
                this.complete = true;
                completions++;
            }
        }
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, ISO_8859_1);
    }

    /** Feeds the response in one buffer. */
    private static Collected whole(String response, boolean head) throws Exception {
        AvatarResponseParser p = new AvatarResponseParser();
        p.start(head);
        Collected c = new Collected();
        ByteBuf in = bytes(response);
        try {
            c.extra = p.feed(ALLOC, in, c);
        } finally {
            in.release();
            p.release();
        }
        return c;
    }

    /** Feeds the response a byte at a time: every split of head, framing and body. */
    private static Collected byteByByte(String response, boolean head) throws Exception {
        AvatarResponseParser p = new AvatarResponseParser();
        p.start(head);
        Collected c = new Collected();
        try {
            for (int i = 0; i < response.length(); i++) {
                ByteBuf in = bytes(response.substring(i, i + 1));
                try {
                    c.extra |= p.feed(ALLOC, in, c);
                } finally {
                    in.release();
                }
            }
        } finally {
            p.release();
        }
        return c;
    }

    private static void both(String response, boolean head, String expectedHead, String expectedBody)
            throws Exception {
        for (Collected c : List.of(whole(response, head), byteByByte(response, head))) {
            assertThat(c.heads).containsExactly(expectedHead);
            assertThat(c.body.toString()).isEqualTo(expectedBody);
            assertThat(c.completions).isEqualTo(1);
            assertThat(c.extra).isFalse();
        }
    }

    @Test
    void aBodyWithALengthPassesAsItIs() throws Exception {
        both("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"code\":0}\n",
                false, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n",
                "{\"code\":0}\n");
        assertThat(whole("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false).keepAlive).isTrue();
    }

    @Test
    void aChunkedBodyPassesWithItsFramingExtensionsAndTrailers() throws Exception {
        String body = "5;name=\"v\"\r\nhello\r\n06\r\n world\r\n0\r\nX-Sum: 11\r\nX-Other:\tyes\r\n\r\n";
        both("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + body, false,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n", body);
    }

    @Test
    void aBodyThatEndsWithTheConnectionGoesOnChunked() throws Exception {
        AvatarResponseParser p = new AvatarResponseParser();
        p.start(false);
        Collected c = new Collected();
        ByteBuf head = bytes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst");
        ByteBuf more = bytes(" and second");
        p.feed(ALLOC, head, c);
        p.feed(ALLOC, more, c);
        head.release();
        more.release();
        assertThat(c.complete).isFalse();
        assertThat(p.endOfInput(ALLOC, c)).isTrue();
        assertThat(c.heads).containsExactly("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                + "transfer-encoding: chunked\r\n");
        assertThat(c.body.toString()).isEqualTo("5\r\nfirst\r\nb\r\n and second\r\n0\r\n\r\n");
        assertThat(c.keepAlive).isFalse();
        assertThat(c.completions).isEqualTo(1);
    }

    @Test
    void aCloseBeforeTheEndIsNotAnEnd() throws Exception {
        AvatarResponseParser p = new AvatarResponseParser();
        p.start(false);
        Collected c = new Collected();
        ByteBuf in = bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        p.feed(ALLOC, in, c);
        in.release();
        assertThat(p.endOfInput(ALLOC, c)).isFalse();
        assertThat(c.complete).isFalse();

        AvatarResponseParser q = new AvatarResponseParser();
        q.start(false);
        ByteBuf partial = bytes("HTTP/1.1 200 O");
        q.feed(ALLOC, partial, c);
        partial.release();
        assertThat(q.endOfInput(ALLOC, c)).isFalse(); // and the partial head it held is released
    }

    @Test
    void responsesWithoutABodyEndWithTheirHead() throws Exception {
        both("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", true, "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n", "");
        both("HTTP/1.1 204 No Content\r\n\r\n", false, "HTTP/1.1 204 No Content\r\n", "");
        both("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", false, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n",
                "");
        Collected c = whole("HTTP/1.1 204 No Content\r\n\r\n", false);
        assertThat(c.status).isEqualTo(204);
        assertThat(c.keepAlive).isTrue();
    }

    @Test
    void informationalResponsesAreSkipped() throws Exception {
        both("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX-A: 1\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
                "ok");
    }

    @Test
    void hopByHopCookieCorsAndRequestIdHeadersStayBehind() throws Exception {
        both("HTTP/1.1 200 OK\r\nconnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
                + "Set-Cookie: a=1\r\nAccess-Control-Allow-Origin: *\r\nACCESS-CONTROL-MAX-AGE: 5\r\nTrailer: X\r\n"
                + "Upgrade: h2c\r\nProxy-Authenticate: Basic\r\nProxy-Connection: keep-alive\r\n"
                + "X-Request-Id: theirs\r\nX-Kept:  spaced value  \r\nContent-Length: 0\r\n\r\n", false,
                "HTTP/1.1 200 OK\r\nX-Kept: spaced value\r\nContent-Length: 0\r\n", "");
    }

    @Test
    void theStatusLineIsRebuiltAsHttp11() throws Exception {
        both("HTTP/1.0 404 Not Found\n\n", true, "HTTP/1.1 404 Not Found\r\n", "");
        both("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, "HTTP/1.1 200 \r\nContent-Length: 0\r\n", "");
        both("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", false, "HTTP/1.1 200 \r\nContent-Length: 0\r\n", "");
    }

    @Test
    void whetherTheAvatarKeepsTheConnection() throws Exception {
        assertThat(whole("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false).keepAlive)
                .isFalse();
        assertThat(whole("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false).keepAlive).isFalse();
        assertThat(whole("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", false).keepAlive)
                .isTrue();
    }

    @Test
    void bytesAfterTheEndAreReported() throws Exception {
        Collected c = whole("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n", false);
        assertThat(c.body.toString()).isEqualTo("ok");
        assertThat(c.extra).isTrue();
        assertThat(whole("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nmore", false).extra).isTrue();
    }

    @Test
    void whatIsNotAnHttpResponseIsRefused() {
        String ok = "Content-Length: 0\r\n\r\n";
        for (String bad : List.of(
                "SSH-2.0-OpenSSH\r\n\r\n",
                "\r\n\r\n",
                "HTTP/2 200 OK\r\n" + ok,
                "HTTP/1.1 2000 OK\r\n" + ok,
                "HTTP/1.1 20x OK\r\n" + ok,
                "HTTP/1.1 099 Low\r\n" + ok,
                "HTTP/1.1 200OK\r\n" + ok,
                "HTTP/1.1 200 O\u0000K\r\n" + ok,
                "HTTP/1.1 101 Switching Protocols\r\n\r\n",
                "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n" + ok,
                "HTTP/1.1 200 OK\r\nBad Name: x\r\n" + ok,
                "HTTP/1.1 200 OK\r\n: empty name\r\n" + ok,
                "HTTP/1.1 200 OK\r\nNoColon\r\n" + ok,
                "HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\n" + ok,
                "HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\n" + ok,
                "HTTP/1.1 200 OK\r\nX-Bad: a\u007fb\r\n" + ok,
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x\u0001\r\nab\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\u0000\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nNoColon\r\n\r\n")) {
            assertThatThrownBy(() -> whole(bad, false)).as(bad)
                    .isInstanceOf(AvatarResponseParser.InvalidResponseException.class);
            assertThatThrownBy(() -> byteByByte(bad, false)).as(bad + " (byte by byte)")
                    .isInstanceOf(AvatarResponseParser.InvalidResponseException.class);
        }
    }

    @Test
    void headsAndChunkLinesHaveLimits() throws Exception {
        String longHeader = "X-Long: " + "a".repeat(AvatarResponseParser.MAX_HEAD_BYTES) + "\r\n";
        assertThatThrownBy(() -> whole("HTTP/1.1 200 OK\r\n" + longHeader + "\r\n", false))
                .isInstanceOf(AvatarResponseParser.InvalidResponseException.class).hasMessageContaining("head");
        assertThatThrownBy(() -> byteByByte("HTTP/1.1 200 OK\r\n" + longHeader, false))
                .isInstanceOf(AvatarResponseParser.InvalidResponseException.class).hasMessageContaining("head");
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertThatThrownBy(() -> whole(chunked + "1;" + "e".repeat(AvatarResponseParser.MAX_LINE_BYTES) + "\r\n",
                false)).isInstanceOf(AvatarResponseParser.InvalidResponseException.class);
        assertThatThrownBy(() -> whole(chunked + "0\r\nX: " + "t".repeat(AvatarResponseParser.MAX_LINE_BYTES)
                + "\r\n\r\n", false)).isInstanceOf(AvatarResponseParser.InvalidResponseException.class);
        // just under the head limit is fine
        String fits = "HTTP/1.1 200 OK\r\nX-Long: " + "a".repeat(AvatarResponseParser.MAX_HEAD_BYTES - 100)
                + "\r\nContent-Length: 0\r\n\r\n";
        assertThat(whole(fits, false).complete).isTrue();
    }

    @Test
    void oneParserServesOneResponseAfterAnother() throws Exception {
        AvatarResponseParser p = new AvatarResponseParser();
        for (int i = 0; i < 3; i++) {
            p.start(false);
            Collected c = new Collected();
            ByteBuf in = bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + i);
            assertThat(p.feed(ALLOC, in, c)).isFalse();
            in.release();
            assertThat(p.isDone()).isTrue();
            assertThat(c.body.toString()).isEqualTo(Integer.toString(i));
        }
    }
}

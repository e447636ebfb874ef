package dev.lectern.core.store.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RespReplyDecoderTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(new RespReplyDecoder(1024));

    private void write(String s) {
        channel.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    private static String text(Object bulk) {
        return ((ByteBuf) bulk).toString(StandardCharsets.UTF_8);
    }

    @Test
    void aPubSubMessageArrivingByteByByteIsOneArrayOfItsThreeBulkStrings() {
        String frame = "*3\r\n$7\r\nmessage\r\n$6\r\nroom:1\r\n$12\r\n{\"o\":\"é\"}\r\r\n";
        byte[] bytes = frame.replace("$12", "$" + "{\"o\":\"é\"}\r".getBytes(StandardCharsets.UTF_8).length)
                .getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length - 1; i++) {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, i, 1));
            assertThat((Object) channel.readInbound()).as("nothing before the last byte").isNull();
        }
        channel.writeInbound(Unpooled.wrappedBuffer(bytes, bytes.length - 1, 1));
        RespReplyDecoder.Array a = channel.readInbound();
        try {
            assertThat(a.size()).isEqualTo(3);
            assertThat(text(a.get(0))).isEqualTo("message");
            assertThat(text(a.get(1))).isEqualTo("room:1");
            assertThat(text(a.get(2))).isEqualTo("{\"o\":\"é\"}\r"); // a CR inside a bulk string is data
        } finally {
            assertThat(a.release()).isTrue();
        }
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void everyKindOfReplyAndSeveralInOneRead() {
        write("+PONG\r\n-ERR wrong\r\n:42\r\n:-7\r\n$-1\r\n*-1\r\n$0\r\n\r\n*2\r\n*1\r\n:1\r\n$1\r\nx\r\n*0\r\n");
        assertThat((Object) channel.readInbound()).isEqualTo("PONG");
        assertThat((Object) channel.readInbound()).isEqualTo(new RespReplyDecoder.ErrorReply("ERR wrong"));
        assertThat((Object) channel.readInbound()).isEqualTo(42L);
        assertThat((Object) channel.readInbound()).isEqualTo(-7L);
        assertThat((Object) channel.readInbound()).isSameAs(RespReplyDecoder.NIL);
        assertThat((Object) channel.readInbound()).isSameAs(RespReplyDecoder.NIL);
        ByteBuf empty = channel.readInbound();
        assertThat(empty.readableBytes()).isZero();
        empty.release();
        RespReplyDecoder.Array nested = channel.readInbound();
        assertThat(((RespReplyDecoder.Array) nested.get(0)).get(0)).isEqualTo(1L);
        assertThat(text(nested.get(1))).isEqualTo("x");
        ByteBuf x = (ByteBuf) nested.get(1);
        nested.release();
        assertThat(x.refCnt()).as("the array released its bulk strings").isZero();
        RespReplyDecoder.Array none = channel.readInbound();
        assertThat(none.size()).isZero();
        none.release();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void whatIsNotResp2FailsTheDecoder() {
        for (String bad : new String[] {
            "?x\r\n", // unknown type
            "$abc\r\nx\r\n", // not a number
            "$\r\n", // no number
            "$-2\r\n", // negative length other than nil
            "*-5\r\n",
            "+OK\rX", // CR without LF
            "$3\r\nabcXY", // bulk string without its CRLF
            "$2000\r\n", // over the limit given (1024)
            ":99999999999999999999\r\n", // out of range
            "*1\r\n".repeat(RespReplyDecoder.MAX_DEPTH + 2) + ":1\r\n", // too deep
        }) {
            EmbeddedChannel c = new EmbeddedChannel(new RespReplyDecoder(1024));
            assertThatThrownBy(() -> c.writeInbound(Unpooled.copiedBuffer(bad, StandardCharsets.UTF_8)))
                    .as(bad).isInstanceOf(DecoderException.class);
            c.finishAndReleaseAll();
        }
    }

    @Test
    void aLineWithoutEndIsRefusedOnceLongerThanTheLimit() {
        EmbeddedChannel c = new EmbeddedChannel(new RespReplyDecoder(1024));
        c.writeInbound(Unpooled.copiedBuffer("+" + "a".repeat(1000), StandardCharsets.US_ASCII));
        assertThat((Object) c.readInbound()).as("still waiting for the CRLF").isNull();
        assertThatThrownBy(() -> c.writeInbound(Unpooled.copiedBuffer("a".repeat(RespReplyDecoder.MAX_LINE_BYTES),
                StandardCharsets.US_ASCII))).isInstanceOf(DecoderException.class);
        c.finishAndReleaseAll();
    }

    @Test
    void aPartOfAReplyWaitsAndTheRestCompletesIt() {
        write("*3\r\n$9\r\nsubscribe\r\n$4\r\nroom\r\n");
        assertThat((Object) channel.readInbound()).isNull();
        write(":1\r\n+PO");
        RespReplyDecoder.Array a = channel.readInbound();
        assertThat(text(a.get(0))).isEqualTo("subscribe");
        assertThat(a.get(2)).isEqualTo(1L);
        ReferenceCountUtil.release(a);
        assertThat((Object) channel.readInbound()).isNull();
        write("NG\r\n");
        assertThat((Object) channel.readInbound()).isEqualTo("PONG");
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }
}

package dev.lectern.core.store.redis.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ReferenceCounted;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Redis's RESP2 replies, each decoded once it has arrived whole, into as few objects as a pub/sub connection needs: a
 * {@code String} (simple string), an {@link ErrorReply}, a {@code Long} (integer), a {@link ByteBuf} (bulk string, a
 * retained slice of what was read), {@link #NIL} (nil bulk string or array) or an {@link Array} whose elements are
 * those again. What holds buffers is reference-counted and released by whoever receives it.
 *
 * <p>Netty's {@code RedisDecoder} with its bulk-string and array aggregators makes a header, a content part, a
 * composite buffer and a message for every bulk string of every reply; a pub/sub message is three of them.
 *
 * <p>Whatever is not RESP2 (an unknown type byte, a malformed length, a line without its CRLF or longer than
 * {@link #MAX_LINE_BYTES}, nesting deeper than {@link #MAX_DEPTH}, a bulk string over {@code maxBulkBytes}) fails the
 * decoder with a {@link DecoderException}, and what arrives after it is discarded: the connection is closed and
 * opened again.
 */
final class RespReplyDecoder extends ByteToMessageDecoder {
    /** Nil bulk string or nil array. */
    static final Object NIL = new Object() {
        @Override
        public String toString() {
            return "NIL";
        }
    };
    static final int MAX_DEPTH = 8;
    static final int MAX_LINE_BYTES = 64 * 1024;
    static final int MAX_ARRAY_ELEMENTS = 1 << 20;
    private static final int INCOMPLETE = -1;

    /** An error reply ({@code -ERR …}). */
    record ErrorReply(String message) {}

    /** An array reply; releasing it releases the bulk strings it holds. */
    static final class Array extends AbstractReferenceCounted {
        private final Object[] elements;

        Array(Object[] elements) {
            this.elements = elements;
        }

        int size() {
            return elements.length;
        }

        Object get(int i) {
            return elements[i];
        }

        @Override
        protected void deallocate() {
            for (Object e : elements) {
                if (e instanceof ReferenceCounted r) {
                    ReferenceCountUtil.safeRelease(r);
                }
            }
        }

        @Override
        public ReferenceCounted touch(Object hint) {
            return this;
        }
    }

    private final int maxBulkBytes;
    private boolean failed;

    RespReplyDecoder(int maxBulkBytes) {
        this.maxBulkBytes = maxBulkBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) { // the connection is closing: what follows a reply that could not be read means nothing
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.isReadable()) {
            // first only where the reply ends (nothing allocated), so that a reply is built once, when whole
            try {
                if (scan(in, in.readerIndex(), 0) == INCOMPLETE) {
                    return;
                }
                out.add(read(in));
            } catch (DecoderException e) {
                failed = true;
                in.skipBytes(in.readableBytes());
                throw e;
            }
        }
    }

    /** Where the reply starting at {@code at} ends, or {@link #INCOMPLETE}. */
    private int scan(ByteBuf in, int at, int depth) {
        if (depth > MAX_DEPTH) {
            throw new DecoderException("RESP reply nested deeper than " + MAX_DEPTH);
        }
        if (at >= in.writerIndex()) {
            return INCOMPLETE;
        }
        byte type = in.getByte(at);
        int eol = lineEnd(in, at + 1);
        if (eol == INCOMPLETE) {
            return INCOMPLETE;
        }
        int next = eol + 2;
        switch (type) {
            case '+', '-' -> {
                return next;
            }
            case ':' -> {
                length(in, at + 1, eol);
                return next;
            }
            case '$' -> {
                long n = length(in, at + 1, eol);
                if (n == -1) {
                    return next;
                }
                if (n < 0 || n > maxBulkBytes) {
                    throw new DecoderException("RESP bulk string of " + n + " bytes, over " + maxBulkBytes);
                }
                long end = next + n + 2;
                if (end > in.writerIndex()) {
                    return INCOMPLETE;
                }
                if (in.getByte((int) end - 2) != '\r' || in.getByte((int) end - 1) != '\n') {
                    throw new DecoderException("RESP bulk string without its CRLF");
                }
                return (int) end;
            }
            case '*' -> {
                long n = length(in, at + 1, eol);
                if (n < -1 || n > MAX_ARRAY_ELEMENTS) {
                    throw new DecoderException("RESP array of " + n + " elements");
                }
                for (long i = 0; i < n; i++) {
                    next = scan(in, next, depth + 1);
                    if (next == INCOMPLETE) {
                        return INCOMPLETE;
                    }
                }
                return next;
            }
            default -> throw new DecoderException("not a RESP2 reply (type byte " + (type & 0xff) + ")");
        }
    }

    /** Reads one whole reply (the scan has checked it). */
    private Object read(ByteBuf in) {
        byte type = in.readByte();
        int eol = lineEnd(in, in.readerIndex());
        switch (type) {
            case '+' -> {
                return line(in, eol);
            }
            case '-' -> {
                return new ErrorReply(line(in, eol));
            }
            case ':' -> {
                long v = length(in, in.readerIndex(), eol);
                in.readerIndex(eol + 2);
                return v;
            }
            case '$' -> {
                long n = length(in, in.readerIndex(), eol);
                in.readerIndex(eol + 2);
                if (n < 0) {
                    return NIL;
                }
                ByteBuf bulk = in.readRetainedSlice((int) n);
                in.skipBytes(2);
                return bulk;
            }
            default -> { // '*', as scanned
                long n = length(in, in.readerIndex(), eol);
                in.readerIndex(eol + 2);
                if (n < 0) {
                    return NIL;
                }
                Object[] elements = new Object[(int) n];
                Array array = new Array(elements);
                try {
                    for (int i = 0; i < n; i++) {
                        elements[i] = read(in);
                    }
                } catch (RuntimeException e) {
                    array.release();
                    throw e;
                }
                return array;
            }
        }
    }

    private static String line(ByteBuf in, int eol) {
        String s = in.toString(in.readerIndex(), eol - in.readerIndex(), StandardCharsets.UTF_8);
        in.readerIndex(eol + 2);
        return s;
    }

    /** The index of the CR of the CRLF ending the line that starts at {@code from}, or {@link #INCOMPLETE}. */
    private static int lineEnd(ByteBuf in, int from) {
        int limit = Math.min(in.writerIndex(), from + MAX_LINE_BYTES);
        int cr = in.indexOf(from, limit, (byte) '\r');
        if (cr < 0 || cr + 1 >= in.writerIndex()) {
            if (in.writerIndex() - from > MAX_LINE_BYTES) {
                throw new DecoderException("RESP line longer than " + MAX_LINE_BYTES + " bytes");
            }
            return INCOMPLETE;
        }
        if (in.getByte(cr + 1) != '\n') {
            throw new DecoderException("RESP line with a CR not followed by LF");
        }
        return cr;
    }

    /** A decimal integer in {@code [from, to)}: a length, -1 (nil) or an integer reply. */
    private static long length(ByteBuf in, int from, int to) {
        if (from >= to || to - from > 20) {
            throw new DecoderException("malformed RESP number");
        }
        boolean negative = in.getByte(from) == '-';
        int i = negative ? from + 1 : from;
        if (i == to) {
            throw new DecoderException("malformed RESP number");
        }
        long v = 0;
        for (; i < to; i++) {
            byte b = in.getByte(i);
            if (b < '0' || b > '9') {
                throw new DecoderException("malformed RESP number");
            }
            v = v * 10 + (b - '0');
            if (v < 0) {
                throw new DecoderException("RESP number out of range");
            }
        }
        return negative ? -v : v;
    }
}

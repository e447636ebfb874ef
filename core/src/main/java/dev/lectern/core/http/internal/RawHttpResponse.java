package dev.lectern.core.http.internal;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;
import java.nio.charset.StandardCharsets;

/**
 * A response that a proxy forwards as bytes it has framed already: its status line and header lines as they will be
 * sent, then the first part of its body. The server's response encoder writes it as it is, after the header lines
 * that the handlers between the proxy and the encoder add with {@link #addHeader} (request id, CORS) and the blank
 * line: no header object is built for it and no header is encoded twice. The rest of the body, if any, follows as
 * {@link RawHttpContent}s, the last of them {@link RawHttpContent#isLast() last}.
 *
 * <p>Holds two buffers: {@link #encode} hands them over; a message released before that releases them.
 */
public final class RawHttpResponse extends AbstractReferenceCounted {
    private static final byte[] CRLF = {'\r', '\n'};

    private final int status;
    private final ByteBuf head;
    private final ByteBuf body;
    private final boolean last;
    private boolean spent;

    /**
     * @param status the status code, for logs and metrics
     * @param head the status line and header lines, each ending in CRLF, without the blank line; taken over
     * @param body the first part of the body, framed as it will be sent (possibly empty); taken over
     * @param last whether the response ends with this body part
     */
    public RawHttpResponse(int status, ByteBuf head, ByteBuf body, boolean last) {
        this.status = status;
        this.head = head;
        this.body = body;
        this.last = last;
    }

    public int status() {
        return status;
    }

    public boolean isLast() {
        return last;
    }

    /** Adds a header line. The name and value are the server's own; CR, LF and NUL are refused all the same. */
    public void addHeader(CharSequence name, CharSequence value) {
        checkLineSafe(name);
        checkLineSafe(value);
        head.ensureWritable(name.length() + value.length() + 4);
        head.writeCharSequence(name, StandardCharsets.ISO_8859_1);
        head.writeByte(':').writeByte(' ');
        head.writeCharSequence(value, StandardCharsets.ISO_8859_1);
        head.writeBytes(CRLF);
    }

    /**
     * The bytes to send: the head, the blank line and the body part, in one buffer when the body part is at most
     * {@code copyLimit} bytes (one write instead of two). Hands the buffers over: releasing this message afterwards
     * releases nothing.
     */
    public ByteBuf[] encode(int copyLimit) {
        if (spent) {
            throw new IllegalStateException("already encoded");
        }
        spent = true;
        head.writeBytes(CRLF);
        int n = body.readableBytes();
        if (n > copyLimit) {
            return new ByteBuf[] {head, body};
        }
        if (n > 0) {
            head.writeBytes(body);
        }
        body.release();
        return new ByteBuf[] {head};
    }

    @Override
    protected void deallocate() {
        if (!spent) {
            spent = true;
            head.release();
            body.release();
        }
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        if (!spent) {
            head.touch(hint);
            body.touch(hint);
        }
        return this;
    }

    @Override
    public String toString() {
        return "RawHttpResponse(" + status + (last ? ", last" : "") + (spent ? ", spent)"
                : ", " + head.readableBytes() + " B head, " + body.readableBytes() + " B body)");
    }

    private static void checkLineSafe(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0 || c > 0xff) {
                throw new IllegalArgumentException("a header line cannot hold character " + (int) c);
            }
        }
    }
}

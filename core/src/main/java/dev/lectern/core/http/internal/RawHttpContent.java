package dev.lectern.core.http.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * More of the body of a {@link RawHttpResponse}, framed already (chunk sizes included when the body is chunked): the
 * server's response encoder writes its bytes as they are. The last one ends the response; it may be empty.
 */
public final class RawHttpContent extends DefaultByteBufHolder {
    private final boolean last;

    public RawHttpContent(ByteBuf content, boolean last) {
        super(content);
        this.last = last;
    }

    public boolean isLast() {
        return last;
    }

    @Override
    public RawHttpContent replace(ByteBuf content) {
        return new RawHttpContent(content, last);
    }

    @Override
    public String toString() {
        return "RawHttpContent(" + content().readableBytes() + " B" + (last ? ", last)" : ")");
    }
}

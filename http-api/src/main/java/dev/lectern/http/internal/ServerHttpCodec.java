package dev.lectern.http.internal;

import dev.lectern.core.netty.PipelineNames;
import dev.lectern.core.http.internal.RawHttpContent;
import dev.lectern.core.http.internal.RawHttpResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * The HTTP/1.1 server codec of every connection: Netty's request decoder and response encoder as two handlers,
 * {@link PipelineNames#HTTP_DECODER} and {@link PipelineNames#HTTP_ENCODER}, that share what Netty's
 * {@code HttpServerCodec} keeps between its two halves:
 * <ul>
 *   <li>whether each request not yet answered was a {@code HEAD} (its response has no body, whatever its headers
 *       say), at most {@link #MAX_PIPELINE_DEPTH} of them;</li>
 *   <li>whether the connection must close after the next response, because a request came with both
 *       {@code Transfer-Encoding} and {@code Content-Length} (a request smuggling attempt, or a broken client).</li>
 * </ul>
 * The encoder also writes {@link RawHttpResponse} and {@link RawHttpContent} as they are: a proxy that forwards a
 * response it has framed itself does not have it parsed into a header object and encoded again. The WebSocket
 * handshake finds the two halves by their classes, as it finds Netty's, and swaps them for its own.
 */
public final class ServerHttpCodec {
    /** Requests decoded and not answered yet; one more is refused and the connection closed. */
    public static final int MAX_PIPELINE_DEPTH = 64;
    /** A raw response whose first body part is at most this big is sent in one buffer with its head. */
    static final int COPY_LIMIT_BYTES = 4096;

    /** Bit i: the i-th request waiting for its response was a HEAD. */
    private long heads;
    private int waiting;
    private boolean mustCloseAfterResponse;

    private ServerHttpCodec() {}

    /** Adds the decoder and the encoder of one connection at the end of its pipeline. */
    public static void addTo(ChannelPipeline p, HttpDecoderConfig config) {
        ServerHttpCodec shared = new ServerHttpCodec();
        p.addLast(PipelineNames.HTTP_DECODER, shared.new RequestDecoder(config));
        p.addLast(PipelineNames.HTTP_ENCODER, shared.new ResponseEncoder());
    }

    private boolean enqueue(HttpMethod method) {
        if (waiting == MAX_PIPELINE_DEPTH) {
            return false;
        }
        if (HttpMethod.HEAD.equals(method)) {
            heads |= 1L << waiting;
        }
        waiting++;
        return true;
    }

    /** Whether the request the next final response answers was a HEAD (false when none is waiting). */
    private boolean pollHead() {
        if (waiting == 0) {
            return false;
        }
        boolean head = (heads & 1L) != 0;
        heads >>>= 1;
        waiting--;
        return head;
    }

    /** Netty's request decoder, noting each request's method for the encoder. */
    final class RequestDecoder extends HttpRequestDecoder {
        private boolean discard;

        RequestDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            if (discard) {
                buffer.skipBytes(buffer.readableBytes());
                return;
            }
            int oldSize = out.size();
            super.decode(ctx, buffer, out);
            int size = out.size();
            for (int i = oldSize; i < size; i++) {
                if (out.get(i) instanceof HttpRequest request && !enqueue(request.method())) {
                    // too many requests without an answer: nothing more is read, and the connection closes
                    mustCloseAfterResponse = true;
                    discard = true;
                    while (out.size() > i) {
                        ReferenceCountUtil.release(out.remove(out.size() - 1));
                    }
                    throw new IllegalStateException("more than " + MAX_PIPELINE_DEPTH + " pipelined requests");
                }
            }
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            super.handleTransferEncodingChunkedWithContentLength(message);
            mustCloseAfterResponse = true;
        }
    }

    /** Netty's response encoder, knowing which responses answer a HEAD, and writing raw responses as they are. */
    final class ResponseEncoder extends HttpResponseEncoder {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof RawHttpResponse raw) {
                pollHead(); // the proxy knows the method it forwarded: a HEAD's raw response carries no body
                ByteBuf[] bytes = raw.encode(COPY_LIMIT_BYTES);
                raw.release();
                boolean last = raw.isLast();
                if (bytes.length == 2) {
                    ctx.write(bytes[0], ctx.voidPromise());
                }
                ctx.write(bytes[bytes.length - 1], last ? closeIfNeeded(promise) : promise);
                return;
            }
            if (msg instanceof RawHttpContent raw) {
                ctx.write(raw.content(), raw.isLast() ? closeIfNeeded(promise) : promise);
                return;
            }
            if (msg instanceof LastHttpContent) {
                promise = closeIfNeeded(promise);
            }
            super.write(ctx, msg, promise);
        }

        private ChannelPromise closeIfNeeded(ChannelPromise promise) {
            if (!mustCloseAfterResponse) {
                return promise;
            }
            mustCloseAfterResponse = false;
            return promise.unvoid().addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // not an answer yet (100 Continue; 101 removes this handler along with what it knows)
                return super.isContentAlwaysEmpty(msg);
            }
            boolean head = pollHead();
            return head || super.isContentAlwaysEmpty(msg);
        }
    }
}

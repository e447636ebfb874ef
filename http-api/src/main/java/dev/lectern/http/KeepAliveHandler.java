package dev.lectern.http;

import dev.lectern.core.http.internal.RawHttpResponse;

import dev.lectern.core.netty.HttpMessages;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Keep-alive of one HTTP/1.1 connection, as Netty's {@code HttpServerKeepAliveHandler} decides it, plus what that
 * handler cannot do here: responses the avatar proxy framed itself ({@code RawHttpResponse}), a server that is
 * draining, pipelined requests and the lingering close.
 * <ul>
 *   <li>One request at a time: a pipelined request (and everything after it) waits in a bounded queue, with reading
 *       off, until the request before it has been read to its end and answered to its last byte.</li>
 *   <li>The connection closes after the response to a request that asked for it, after a response that says
 *       {@code Connection: close} or whose end only the close can tell, and while the server drains; every such
 *       response says {@code Connection: close}.</li>
 *   <li>A response that closes the connection before the request body was read (413, a refused upload) is followed
 *       by a lingering close, as nginx does: output shut, the rest of the body read and dropped until it ends or for
 *       {@value #LINGER_MILLIS} ms, then the close. Closing at once while the client is still sending would make the
 *       kernel reset the connection, and the client might never read the answer.</li>
 * </ul>
 */
public final class KeepAliveHandler extends ChannelDuplexHandler {
    static final int MAX_QUEUED_MESSAGES = 64;
    static final long LINGER_MILLIS = 2000;

    private final BooleanSupplier draining;
    private final ArrayDeque<Object> queued = new ArrayDeque<>();
    /** A request has started and is not both read and answered. */
    private boolean active;
    private boolean bodyDone;
    private boolean responseDone;
    private boolean closeAfterResponse;
    /** The last response that closes the connection has been written: nothing more is handed on. */
    private boolean closing;
    private boolean lingering;

    public KeepAliveHandler(BooleanSupplier draining) {
        this.draining = draining;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (lingering || closing) {
            ReferenceCountUtil.release(msg); // the rest of a body already answered; the connection is closing
            if (lingering && msg instanceof LastHttpContent) {
                ctx.close();
            }
            return;
        }
        if (!(msg instanceof HttpRequest) && !(msg instanceof HttpContent)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!queued.isEmpty() || (active && msg instanceof HttpRequest)) {
            if (queued.size() >= MAX_QUEUED_MESSAGES) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            queued.add(msg);
            ctx.channel().config().setAutoRead(false); // the rest waits in the socket, not here
            return;
        }
        process(ctx, msg);
    }

    private void process(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest r) {
            active = true;
            bodyDone = false;
            responseDone = false;
            closeAfterResponse = !HttpUtil.isKeepAlive(r);
        } else if (!active) {
            ReferenceCountUtil.release(msg); // stray content after a request that was already answered
            return;
        }
        boolean last = msg instanceof LastHttpContent;
        if (last) {
            bodyDone = true;
        }
        ctx.fireChannelRead(msg);
        if (last) {
            maybeReset(ctx);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!active || responseDone) {
            ctx.write(msg, promise);
            return;
        }
        if (HttpMessages.isFinalHead(msg)) {
            if (msg instanceof HttpResponse r && (!HttpUtil.isKeepAlive(r) || !hasOwnLength(r))) {
                closeAfterResponse = true; // asked for, or the client can tell where the body ends only by the close
            }
            if (closeAfterResponse || draining.getAsBoolean()) {
                closeAfterResponse = true;
                HttpMessages.setHeader(msg, HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
        }
        if (!HttpMessages.isLast(msg)) {
            ctx.write(msg, promise);
            return;
        }
        responseDone = true;
        if (closeAfterResponse || draining.getAsBoolean()) {
            closing = true;
            ctx.channel().config().setAutoRead(false); // nothing more is read on a connection that is closing
            ctx.write(msg, promise.unvoid()).addListener(f -> closeOrLinger(ctx));
            return;
        }
        ctx.write(msg, promise);
        maybeReset(ctx);
    }

    private static boolean hasOwnLength(HttpResponse r) {
        int status = r.status().code();
        return status == 204 || status == 304 || HttpUtil.isContentLengthSet(r) || HttpUtil.isTransferEncodingChunked(r);
    }

    /** Closes after the last response: at once when the request has been read, else after a lingering read. */
    private void closeOrLinger(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (bodyDone || !ch.isActive() || !(ch instanceof DuplexChannel duplex)) {
            ctx.close();
            return;
        }
        lingering = true;
        duplex.shutdownOutput();
        ch.config().setAutoRead(true);
        ctx.executor().schedule(() -> {
            ctx.close();
        }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** When the request has been read and answered, hands on what waited behind it. */
    private void maybeReset(ChannelHandlerContext ctx) {
        if (!active || !bodyDone || !responseDone || closing) {
            return;
        }
        active = false;
        ctx.channel().config().setAutoRead(true);
        if (!queued.isEmpty()) {
            // not from inside the write that finished the response: the handlers after this one finish it first
            ctx.executor().execute(() -> drainQueue(ctx));
        }
    }

    private void drainQueue(ChannelHandlerContext ctx) {
        while (!queued.isEmpty() && !closing && !(active && queued.peek() instanceof HttpRequest)) {
            process(ctx, queued.poll());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseQueued();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseQueued();
    }

    private void releaseQueued() {
        Object o;
        while ((o = queued.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}

package dev.lectern.http;

import dev.lectern.core.json.Json;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Cuts off connections that hold the server without using it, on the channel's own event loop:
 * <ul>
 *   <li>waiting for a request (a new or kept-alive connection, or a client trickling its headers) longer than
 *       {@code idleMillis} — closed; the deadline is not reset by partial bytes, so a slowloris client gets nowhere;</li>
 *   <li>reading one request's body longer than {@code requestMillis} — answered 408 and closed.</li>
 * </ul>
 * While a request is being handled (including long SSE streams) no timer runs. A streaming route that reads a long
 * body itself can fire {@link #DISARM} to stop the body timer.
 */
public final class HttpTimeoutHandler extends ChannelDuplexHandler {
    /** A user event a streaming handler fires to take charge of its own body timeout. */
    public static final Object DISARM = new Object();

    private enum State { IDLE, READING, HANDLING }

    private final long idleMillis;
    private final long requestMillis;
    private State state = State.IDLE;
    private ScheduledFuture<?> timer;

    public HttpTimeoutHandler(long idleMillis, long requestMillis) {
        this.idleMillis = idleMillis;
        this.requestMillis = requestMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            armIdle(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        armIdle(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest && state == State.IDLE) {
            state = State.READING;
            schedule(ctx, requestMillis, () -> requestTimedOut(ctx));
        }
        if (msg instanceof LastHttpContent && state == State.READING) {
            state = State.HANDLING;
            cancel();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == DISARM) {
            state = State.HANDLING;
            cancel();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent && state == State.HANDLING) {
            ctx.write(msg, promise);
            armIdle(ctx);
            return;
        }
        if (msg instanceof LastHttpContent && state == State.READING) {
            // answered before the body was read (e.g. 413): the body deadline still applies
            ctx.write(msg, promise);
            return;
        }
        ctx.write(msg, promise);
    }

    private void armIdle(ChannelHandlerContext ctx) {
        state = State.IDLE;
        schedule(ctx, idleMillis, ctx::close);
    }

    private void requestTimedOut(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        byte[] body = Json.writeBytes(Map.of("error", "request_timeout",
                "message", "request not received within " + requestMillis + " ms", "requestId", "-"));
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT,
                Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, ApiResponse.JSON);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    private void schedule(ChannelHandlerContext ctx, long millis, Runnable task) {
        cancel();
        timer = ctx.executor().schedule(task, millis, TimeUnit.MILLISECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }
}

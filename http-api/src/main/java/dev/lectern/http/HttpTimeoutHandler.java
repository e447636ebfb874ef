package dev.lectern.http;

import dev.lectern.core.json.Json;
import dev.lectern.core.http.internal.RawHttpContent;
import dev.lectern.core.http.internal.RawHttpResponse;
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
 * While a request is being handled (including long SSE streams) no deadline applies. A streaming route that reads a
 * long body itself can fire {@link #DISARM} to stop the body timer.
 *
 * <p>A keep-alive connection moves between these states for every request, so a state change only writes a deadline:
 * one scheduled task per connection wakes at the earliest deadline that may apply, acts when it has passed, and
 * otherwise goes back to sleep until the current one (as Netty's {@code IdleStateHandler} does). Scheduling and
 * cancelling a timer per request would cost the event loop more than the request it guards.
 */
public final class HttpTimeoutHandler extends ChannelDuplexHandler {
    /** A user event a streaming handler fires to take charge of its own body timeout. */
    public static final Object DISARM = new Object();

    private enum State { IDLE, READING, HANDLING }

    private final long idleNanos;
    private final long requestNanos;
    private final long requestMillis;
    private ChannelHandlerContext ctx;
    private State state = State.IDLE;
    private long deadlineNanos;
    private ScheduledFuture<?> timer;
    /** When {@link #timer} fires; meaningful only while it is set. */
    private long timerAtNanos;
    private boolean removed;

    public HttpTimeoutHandler(long idleMillis, long requestMillis) {
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        this.requestNanos = TimeUnit.MILLISECONDS.toNanos(requestMillis);
        this.requestMillis = requestMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            armIdle();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        armIdle();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest && state == State.IDLE) {
            arm(State.READING, requestNanos);
        }
        if (msg instanceof LastHttpContent && state == State.READING) {
            state = State.HANDLING;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == DISARM) {
            state = State.HANDLING;
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ctx.write(msg, promise);
        // answered before the body was read (e.g. 413) while READING: the body deadline still applies
        if (state == State.HANDLING && isLast(msg)) {
            armIdle();
        }
    }

    private static boolean isLast(Object msg) {
        return msg instanceof LastHttpContent || msg instanceof RawHttpResponse r && r.isLast()
                || msg instanceof RawHttpContent c && c.isLast();
    }

    private void armIdle() {
        arm(State.IDLE, idleNanos);
    }

    private void arm(State next, long afterNanos) {
        state = next;
        long now = ctx.executor().ticker().nanoTime();
        deadlineNanos = now + afterNanos;
        if (timer != null && timerAtNanos - deadlineNanos > 0) {
            timer.cancel(false); // wakes too late for this deadline (only when idle and request timeouts differ)
            timer = null;
        }
        if (timer == null && !removed) {
            schedule(afterNanos);
        }
    }

    private void schedule(long delayNanos) {
        timerAtNanos = ctx.executor().ticker().nanoTime() + delayNanos;
        timer = ctx.executor().schedule(this::onTimer, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timer = null;
        if (removed || !ctx.channel().isActive() || state == State.HANDLING) {
            return; // re-armed by the next state change
        }
        long left = deadlineNanos - ctx.executor().ticker().nanoTime();
        if (left > 0) {
            schedule(left);
        } else if (state == State.IDLE) {
            ctx.close();
        } else {
            requestTimedOut(ctx);
        }
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

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        removed = true;
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }
}

package dev.lectern.http.sse;

import dev.lectern.core.log.LogContext;
import dev.lectern.core.netty.ExpectedExceptions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the {@link EventStream} an SSE route returned, handed over by the dispatcher with a {@link Start} event:
 * the {@code text/event-stream} head, each event as {@code id: n\ndata: …\n\n} (ids from 1 per stream), a
 * {@code : keepalive} comment while idle, and the end of the chunked body when the stream ends.
 *
 * <p>Backpressure: events are asked for in a small window, only while the channel is writable, and the window is
 * reopened in {@link #channelWritabilityChanged}; an event is never dropped. Events that come off the event loop hop
 * onto it. When the connection closes, the stream is cancelled at once.
 */
public final class SseHandler extends ChannelDuplexHandler {
    private static final Logger logger = LoggerFactory.getLogger(SseHandler.class);
    static final int WINDOW = 16;
    private static final byte[] KEEPALIVE = ": keepalive\n\n".getBytes(StandardCharsets.US_ASCII);

    /** The user event by which the dispatcher hands a stream over, once the request has been accepted. */
    public record Start(EventStream stream, String requestId, long keepAliveMillis) {}

    private ChannelHandlerContext ctx;
    private Writer current;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof Start start) {
            if (current != null) {
                current.cancel();
            }
            current = new Writer(start);
            current.start();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null && ctx.channel().isWritable()) {
            current.requestMore();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (current != null) {
            current.cancel();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (current != null) {
            current.cancel();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }

    /** One stream: its demand, its event ids and its keep-alive timer. */
    private final class Writer implements EventStream.Subscriber {
        private final EventStream stream;
        private final String requestId;
        private final long keepAliveMillis;
        private boolean done;
        private long outstanding;
        private long eventId;
        private ScheduledFuture<?> keepAlive;

        Writer(Start start) {
            this.stream = start.stream();
            this.requestId = start.requestId();
            this.keepAliveMillis = start.keepAliveMillis();
        }

        void start() {
            if (!ctx.channel().isActive()) {
                done = true;
                stream.cancel();
                return;
            }
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            head.headers().set("X-Accel-Buffering", "no");
            HttpUtil.setTransferEncodingChunked(head, true);
            ctx.write(head);
            stream.subscribe(this);
            if (!done) {
                keepAlive = ctx.executor().scheduleAtFixedRate(this::keepAlive, keepAliveMillis, keepAliveMillis,
                        TimeUnit.MILLISECONDS);
                requestMore();
            }
        }

        void requestMore() {
            if (done || !ctx.channel().isWritable() || outstanding > WINDOW / 2) {
                return;
            }
            long n = WINDOW - outstanding;
            outstanding += n;
            stream.request(n);
        }

        private void keepAlive() {
            if (!done && ctx.channel().isActive()) {
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(KEEPALIVE)));
            }
        }

        @Override
        public void onEvent(SseEvent event) {
            onLoop(() -> write(event));
        }

        @Override
        public void onEnd() {
            onLoop(this::end);
        }

        private void write(SseEvent event) {
            if (done) {
                return;
            }
            if (outstanding > 0) {
                outstanding--;
            }
            if (!ctx.channel().isActive()) {
                return;
            }
            DefaultHttpContent chunk = new DefaultHttpContent(frame(event.data()));
            if (event.receivedNanos() != 0) {
                ctx.writeAndFlush(chunk).addListener(f -> {
                    if (f.isSuccess()) {
                        stream.written(event);
                    }
                });
            } else {
                ctx.writeAndFlush(chunk);
            }
            requestMore();
        }

        private void end() {
            if (done) {
                return;
            }
            stop();
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            }
        }

        void cancel() {
            if (!done) {
                stop();
                stream.cancel();
            }
        }

        private void stop() {
            done = true;
            if (keepAlive != null) {
                keepAlive.cancel(false);
            }
            if (current == this) {
                current = null;
            }
        }

        private ByteBuf frame(byte[] data) {
            String id = "id: " + (++eventId) + "\ndata: ";
            ByteBuf buf = ctx.alloc().buffer(id.length() + data.length + 2);
            buf.writeCharSequence(id, StandardCharsets.US_ASCII);
            buf.writeBytes(data);
            buf.writeByte('\n').writeByte('\n');
            return buf;
        }

        private void onLoop(Runnable task) {
            if (ctx.executor().inEventLoop()) {
                run(task);
            } else {
                ctx.executor().execute(() -> run(task));
            }
        }

        private void run(Runnable task) {
            try (LogContext ignored = LogContext.push(requestId)) {
                task.run();
            } catch (RuntimeException e) {
                logger.warn("event stream failed", e);
                ctx.close();
            }
        }
    }
}

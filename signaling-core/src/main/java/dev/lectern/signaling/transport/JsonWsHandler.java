package dev.lectern.signaling.transport;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.signaling.JsonWsConnection;
import dev.lectern.signaling.JsonWsEndpoint;
import dev.lectern.signaling.JsonWsSink;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /ws} JSON dialect over WebSocket: text frames in and out, WebSocket pings as the heartbeat (no pong
 * within the timeout closes the connection). Binary frames are refused with close status 1003.
 */
final class JsonWsHandler extends ChannelInboundHandlerAdapter implements JsonWsSink {
    private static final Logger logger = LoggerFactory.getLogger(JsonWsHandler.class);

    private final JsonWsEndpoint endpoint;
    private final int maxPayloadBytes;
    private final long pingIntervalMillis;
    private final long pingTimeoutMillis;
    private ChannelHandlerContext ctx;
    private JsonWsConnection connection;
    private ScheduledFuture<?> pingTask;
    private long lastPongNanos;

    JsonWsHandler(JsonWsEndpoint endpoint, long pingIntervalMillis, long pingTimeoutMillis, int maxPayloadBytes) {
        this.endpoint = endpoint;
        this.maxPayloadBytes = maxPayloadBytes;
        this.pingIntervalMillis = pingIntervalMillis;
        this.pingTimeoutMillis = pingTimeoutMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof WebSocketUpgraded upgraded && upgraded.kind() == WebSocketKind.JSON) {
            start(upgraded.principal());
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** The 101 has been written: the connection opens for the authenticated caller and the heartbeat starts. */
    private void start(Principal principal) {
        connection = endpoint.open(principal, this);
        lastPongNanos = System.nanoTime();
        pingTask = ctx.executor().scheduleAtFixedRate(this::heartbeat, pingIntervalMillis, pingIntervalMillis,
                TimeUnit.MILLISECONDS);
    }

    private void heartbeat() {
        if (System.nanoTime() - lastPongNanos > TimeUnit.MILLISECONDS.toNanos(pingIntervalMillis + pingTimeoutMillis)) {
            close(1001, "ping timeout");
            return;
        }
        ctx.writeAndFlush(new PingWebSocketFrame(Unpooled.EMPTY_BUFFER));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (WebSocketUpgradeHandler.aggregateFragments(ctx, msg, maxPayloadBytes)) {
            return;
        }
        try {
            if (connection == null) {
                return;
            }
            if (msg instanceof TextWebSocketFrame text) {
                lastPongNanos = System.nanoTime();
                connection.onText(text.text());
            } else if (msg instanceof PongWebSocketFrame) {
                lastPongNanos = System.nanoTime();
            } else if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            } else if (msg instanceof CloseWebSocketFrame) {
                ctx.writeAndFlush(new CloseWebSocketFrame()).addListener(ChannelFutureListener.CLOSE);
            } else if (msg instanceof BinaryWebSocketFrame) {
                close(1003, "binary frames are not supported");
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public boolean send(String json) {
        ctx.writeAndFlush(new TextWebSocketFrame(json), ctx.voidPromise());
        return ctx.channel().isWritable();
    }

    @Override
    public long pendingBytes() {
        io.netty.channel.ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public void close(int status, String reason) {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (pingTask != null) {
            pingTask.cancel(false);
        }
        if (connection != null) {
            connection.onClose();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }
}

package dev.lectern.signaling.transport;

import dev.lectern.core.netty.ChannelAttrs;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.signaling.engineio.EngineIoException;
import dev.lectern.signaling.engineio.EngineIoPacket;
import dev.lectern.signaling.engineio.EngineIoPacketCodec;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.signaling.engineio.EngineIoSession;
import dev.lectern.signaling.engineio.EngineIoTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
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
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Engine.IO WebSocket transport: one packet per frame, text or binary. Opens a WebSocket-only session, or offers
 * itself to an existing polling session for the upgrade, once {@link WebSocketUpgraded} says the handshake is done.
 * Frames are copied into packets here; the session is plain Java.
 */
final class EngineIoWebSocketHandler extends ChannelInboundHandlerAdapter implements EngineIoTransport {
    private static final Logger logger = LoggerFactory.getLogger(EngineIoWebSocketHandler.class);

    private final EngineIoServer server;
    /** The upgrade request's {@code Cookie} header, for a WebSocket-only session (a guest's cookie), or null. */
    private final String cookie;
    /** The upgrade request's {@code X-Forwarded-For} (believed only from a trusted proxy), or null. */
    private final String forwardedFor;
    private ChannelHandlerContext ctx;
    private EngineIoSession session;

    EngineIoWebSocketHandler(EngineIoServer server) {
        this(server, null, null);
    }

    EngineIoWebSocketHandler(EngineIoServer server, String cookie, String forwardedFor) {
        this.cookie = cookie;
        this.forwardedFor = forwardedFor;
        this.server = server;
    }

    private String peer() {
        return dev.lectern.core.netty.ChannelAttrs.clientHost(ctx.channel(), forwardedFor);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof WebSocketUpgraded upgraded && upgraded.kind() == WebSocketKind.ENGINE_IO) {
            start(upgraded.sid());
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** The 101 has been written: open a WebSocket-only session, or ask the polling session {@code sid} to upgrade. */
    private void start(String sid) {
        if (sid == null) {
            java.util.concurrent.CompletionStage<Boolean> admitted =
                    server.handshakeGate().admit(peer());
            if (admitted instanceof java.util.concurrent.CompletableFuture<Boolean> f && f.isDone()
                    && !f.isCompletedExceptionally()) {
                open(f.join());
            } else {
                admitted.whenComplete((ok, error) -> ctx.executor().execute(() -> {
                    if (ctx.channel().isActive()) {
                        open(error == null && ok);
                    }
                }));
            }
            return;
        }
        EngineIoSession existing = server.get(sid);
        if (existing == null) {
            close();
            return;
        }
        resume(existing, sid);
    }

    /** A WebSocket-only session the gate answered: opened, or closed with 1013 (try again later) when refused. */
    private void open(boolean admitted) {
        if (!admitted) {
            ctx.writeAndFlush(new io.netty.handler.codec.http.websocketx.CloseWebSocketFrame(1013,
                    "too many requests from this address")).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            return;
        }
        EngineIoServer.Opened opened = server.open(ctx.channel().eventLoop(), this, peer(),
                cookie);
        if (opened == null) {
            // too many sessions waiting to connect: "try again later"
            ctx.writeAndFlush(new io.netty.handler.codec.http.websocketx.CloseWebSocketFrame(1013,
                    "too many sessions waiting to connect")).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            return;
        }
        session = opened.session();
        ctx.channel().attr(ChannelAttrs.SESSION_ID).set(session.sid());
        ctx.writeAndFlush(new TextWebSocketFrame(EngineIoPacketCodec.encode(opened.openPacket())));
        server.opened(session);
    }

    /** A polling session's upgrade to this WebSocket. */
    private void resume(EngineIoSession existing, String sid) {
        session = existing;
        ctx.channel().attr(ChannelAttrs.SESSION_ID).set(sid);
        existing.executor().execute(() -> {
            if (!existing.onUpgradeRequest(this)) {
                close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (WebSocketUpgradeHandler.aggregateFragments(ctx, msg, server.maxPayloadBytes())) {
            return;
        }
        try {
            if (session == null) {
                return;
            }
            EngineIoPacket packet;
            if (msg instanceof TextWebSocketFrame text) {
                try {
                    packet = EngineIoPacketCodec.decode(text.text());
                } catch (EngineIoException e) {
                    logger.debug("{} malformed Engine.IO packet: {}", ctx.channel(), e.getMessage());
                    EngineIoSession s = session;
                    onSession(() -> s.onWebSocketError(this, "parse error"));
                    return;
                }
            } else if (msg instanceof BinaryWebSocketFrame binary) {
                packet = EngineIoPacket.binary(ByteBufUtil.getBytes(binary.content()));
            } else if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
                return;
            } else if (msg instanceof CloseWebSocketFrame) {
                ctx.writeAndFlush(new CloseWebSocketFrame()).addListener(ChannelFutureListener.CLOSE);
                return;
            } else {
                return; // pong frames, the empty last content of the upgrade request
            }
            EngineIoSession s = session;
            onSession(() -> s.onWebSocketPacket(this, packet));
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onSession(Runnable task) {
        if (session.executor() == ctx.channel().eventLoop() && ctx.channel().eventLoop().inEventLoop()) {
            task.run();
        } else {
            session.executor().execute(task);
        }
    }

    @Override
    public boolean send(List<EngineIoPacket> packets) {
        for (EngineIoPacket p : packets) {
            if (p.isBinary()) {
                ctx.write(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(p.binary())), ctx.voidPromise());
            } else {
                // straight into a pooled buffer: no concatenated String, no unpooled copy
                String text = p.text();
                ByteBuf frame = ctx.alloc().buffer(1 + ByteBufUtil.utf8MaxBytes(text));
                frame.writeByte(p.type().code());
                ByteBufUtil.writeUtf8(frame, text);
                ctx.write(new TextWebSocketFrame(frame), ctx.voidPromise());
            }
        }
        ctx.flush();
        return ctx.channel().isWritable();
    }

    @Override
    public long pendingBytes() {
        io.netty.channel.ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public void close() {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new CloseWebSocketFrame()).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        EngineIoSession s = session;
        if (s != null) {
            onSession(() -> s.onWebSocketClosed(this));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }
}

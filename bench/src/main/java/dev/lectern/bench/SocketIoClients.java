package dev.lectern.bench;

import dev.lectern.core.netty.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.URI;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.IntUnaryOperator;

/** The load generators' Socket.IO WebSocket clients: connecting, and offers that carry their send time. */
final class SocketIoClients {
    private SocketIoClients() {}

    static Bootstrap bootstrap(EventLoopGroup group) {
        return new Bootstrap().group(group).channel(EventLoops.clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
    }

    /**
     * Connects {@code count} clients, at most 256 handshakes at a time: client {@code i} goes to port
     * {@code port(i)} and must release the permit it is given once it has joined (failed connects release theirs).
     */
    static void connectAll(EventLoopGroup group, int count, IntUnaryOperator port,
            BiFunction<Integer, Semaphore, ChannelHandler> client, AtomicLong failures) throws InterruptedException {
        Semaphore inFlight = new Semaphore(256);
        Bootstrap b = bootstrap(group);
        for (int i = 0; i < count; i++) {
            inFlight.acquire();
            connect(b, port.applyAsInt(i), client.apply(i, inFlight)).addListener(f -> {
                if (!f.isSuccess()) {
                    failures.incrementAndGet();
                    inFlight.release();
                }
            });
        }
    }

    /** Connects one client to {@code /socket.io/} on a loopback port; {@code client} sees the frames. */
    static ChannelFuture connect(Bootstrap b, int port, ChannelHandler client) {
        URI uri = URI.create("ws://127.0.0.1:" + port + "/socket.io/?EIO=4&transport=websocket");
        return b.clone().handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                        new WebSocketClientProtocolHandler(WebSocketClientHandshakerFactory.newHandshaker(
                                uri, WebSocketVersion.V13, null, false, new DefaultHttpHeaders(), 65536)),
                        client);
            }
        }).connect("127.0.0.1", port);
    }

    /**
     * Answers pings and walks a client through open → CONNECT (a dev-mode user id) → join; true when the frame was
     * one of those.
     */
    static boolean handshake(ChannelHandlerContext ctx, String frame, String userId, String room) {
        if (frame.equals("2")) {
            ctx.writeAndFlush(new TextWebSocketFrame("3"));
        } else if (frame.startsWith("0{")) {
            ctx.writeAndFlush(new TextWebSocketFrame("40{\"user_id\":\"" + userId + "\"}"));
        } else if (frame.startsWith("40{")) {
            ctx.writeAndFlush(new TextWebSocketFrame("42[\"join\",{\"room_id\":\"" + room + "\"}]"));
        } else {
            return false;
        }
        return true;
    }

    /** An offer to the rest of the room whose SDP carries {@code System.nanoTime()} at sending. */
    static String offer(String room) {
        return "42[\"offer\",{\"room_id\":\"" + room + "\",\"sdp\":\"v=0 " + System.nanoTime() + "\"}]";
    }

    /** How long ago a received offer frame was sent, or -1 when it carries no send time. */
    static long offerAgeNanos(String frame) {
        int at = frame.indexOf("v=0 ");
        if (at < 0) {
            return -1;
        }
        int end = at + 4;
        while (end < frame.length() && Character.isDigit(frame.charAt(end))) {
            end++;
        }
        return System.nanoTime() - Long.parseLong(frame, at + 4, end, 10);
    }
}

package dev.lectern.bench.netty;

import dev.lectern.core.netty.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The avatar stand-in for the proxy benchmark, run as a child process from the avatar command template: a fast
 * keep-alive HTTP server on {@code --listenport} answering every request with a fixed JSON body of
 * {@code --body_bytes}, so that what is measured is the proxy, not the backend.
 */
public final class BenchBackend {
    private BenchBackend() {}

    public static void main(String[] args) throws Exception {
        int port = 8010;
        int bodyBytes = 1024;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--listenport")) {
                port = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--body_bytes")) {
                bodyBytes = Integer.parseInt(args[++i]);
            }
        }
        byte[] body = new byte[Math.max(16, bodyBytes)];
        Arrays.fill(body, (byte) 'x');
        body[0] = '"';
        body[body.length - 1] = '"';
        ByteBuf shared = Unpooled.unreleasableBuffer(Unpooled.directBuffer(body.length).writeBytes(body));
        serve("0.0.0.0", port, shared, req -> { });
    }

    /** Answers every request on {@code host:port} with {@code body}, after handing it to {@code onRequest}; blocks. */
    static void serve(String host, int port, ByteBuf body, Consumer<FullHttpRequest> onRequest) throws Exception {
        EventLoopGroup group = EventLoops.newGroup(1, "bench-backend");
        new ServerBootstrap().group(group).channel(EventLoops.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new Responder(body, onRequest));
                    }
                })
                .bind(host, port).sync().channel().closeFuture().sync();
    }

    /** Answers every request with the shared body. */
    static final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ByteBuf body;
        private final Consumer<FullHttpRequest> onRequest;

        Responder(ByteBuf body, Consumer<FullHttpRequest> onRequest) {
            this.body = body;
            this.onRequest = onRequest;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            onRequest.accept(req);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    body.duplicate());
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            if (HttpUtil.isKeepAlive(req)) {
                ctx.writeAndFlush(r);
            } else {
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}

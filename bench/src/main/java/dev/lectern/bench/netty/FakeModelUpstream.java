package dev.lectern.bench.netty;

import dev.lectern.core.netty.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A fake OpenAI-compatible upstream for the chat gateway benchmark, on one event loop: every
 * {@code POST /v1/chat/completions} is answered with an SSE stream of {@code chunks} content deltas, one every
 * {@code intervalMillis} from a random phase (real streams are not in lock-step), then the finish chunk, a usage-only
 * chunk and {@code [DONE]}. Each delta's text is {@code "t<System.nanoTime()> "} at the moment it is written, so that a
 * client on the same machine can measure how long the chunk took to come out of the gateway (the monotonic clock is
 * shared by processes on Linux).
 */
public final class FakeModelUpstream implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel server;

    public FakeModelUpstream(int chunks, int intervalMillis) throws InterruptedException {
        group = EventLoops.newGroup(1, "bench-upstream");
        server = new ServerBootstrap().group(group).channel(EventLoops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new Streamer(chunks, intervalMillis));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    public int port() {
        return ((java.net.InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Streamer extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final int chunks;
        private final int intervalMillis;
        private int sent;

        Streamer(int chunks, int intervalMillis) {
            this.chunks = chunks;
            this.intervalMillis = intervalMillis;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
            res.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res);
            ctx.executor().schedule(() -> next(ctx),
                    ThreadLocalRandom.current().nextInt(Math.max(1, intervalMillis)), TimeUnit.MILLISECONDS);
        }

        private void next(ChannelHandlerContext ctx) {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (sent++ < chunks) {
                ctx.writeAndFlush(new DefaultHttpContent(text("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t"
                        + System.nanoTime() + " \"},\"finish_reason\":null}]}\n\n")));
                ctx.executor().schedule(() -> next(ctx), intervalMillis, TimeUnit.MILLISECONDS);
                return;
            }
            ctx.writeAndFlush(new DefaultLastHttpContent(text(
                    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                    + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":" + chunks
                    + ",\"total_tokens\":" + (10 + chunks) + "}}\n\ndata: [DONE]\n\n")))
                    .addListener(ChannelFutureListener.CLOSE);
        }

        private static ByteBuf text(String s) {
            return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
        }
    }
}

package dev.lectern.bench.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.function.LongConsumer;

/**
 * One chat stream of the gateway benchmark: posts a question to {@code /api/chat/stream} and reads the SSE answer,
 * reporting for each {@code streaming} event how long ago (in nanoseconds) the fake upstream wrote its chunk (the
 * chunk text is {@code t<nanoTime>}).
 */
public final class SseStreamClientHandler extends SimpleChannelInboundHandler<HttpObject> {
    /** What a stream reports. */
    public interface Listener {
        void status(int code);

        void completed();

        void ended();
    }

    private final String token;
    private final LongConsumer latencyNanos;
    private final Listener listener;
    private final StringBuilder line = new StringBuilder();
    private boolean ended;

    public SseStreamClientHandler(String token, LongConsumer latencyNanos, Listener listener) {
        this.token = token;
        this.latencyNanos = latencyNanos;
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ByteBuf body = Unpooled.copiedBuffer("{\"message\":\"go\"}", StandardCharsets.UTF_8);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/chat/stream",
                body);
        req.headers().set(HttpHeaderNames.HOST, "127.0.0.1");
        req.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        req.headers().set(HttpHeaderNames.ACCEPT, "text/event-stream");
        req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        ctx.writeAndFlush(req);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (msg instanceof HttpResponse res) {
            listener.status(res.status().code());
        }
        if (msg instanceof HttpContent content) {
            long now = System.nanoTime();
            ByteBuf buf = content.content();
            for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
                char c = (char) (buf.getByte(i) & 0xff);
                if (c == '\n') {
                    onLine(now);
                    line.setLength(0);
                } else {
                    line.append(c);
                }
            }
            if (msg instanceof LastHttpContent) {
                end(ctx);
            }
        }
    }

    private void onLine(long now) {
        if (line.indexOf("data: ") != 0) {
            return;
        }
        if (line.indexOf("\"status\":\"streaming\"") >= 0) {
            int t = line.indexOf("\"chunk\":\"t");
            if (t >= 0) {
                int start = t + 10;
                int end = start;
                while (end < line.length() && Character.isDigit(line.charAt(end))) {
                    end++;
                }
                latencyNanos.accept(now - Long.parseLong(line, start, end, 10));
            }
        } else if (line.indexOf("\"status\":\"complete\"") >= 0) {
            listener.completed();
        }
    }

    private void end(ChannelHandlerContext ctx) {
        if (!ended) {
            ended = true;
            listener.ended();
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        end(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        end(ctx);
    }
}

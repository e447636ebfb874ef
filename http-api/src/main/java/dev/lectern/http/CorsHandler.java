package dev.lectern.http;

import dev.lectern.core.netty.HttpMessages;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Map;

/**
 * Adds the CORS headers of the request's origin ({@link CorsPolicy#responseHeaders}) to every response, after the
 * request id and before {@code Connection}. A preflight is a route question (which methods the path allows) and is
 * answered by the {@link RouteDispatchHandler} with {@link CorsPolicy#preflightHeaders}.
 */
public final class CorsHandler extends ChannelDuplexHandler {
    private final CorsPolicy cors;
    /** The origin of the request in progress; null when it sent none. */
    private String origin;

    public CorsHandler(CorsPolicy cors) {
        this.cors = cors;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest r) {
            origin = r.headers().get(HttpHeaderNames.ORIGIN);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (origin != null && HttpMessages.isFinalHead(msg)) {
            for (Map.Entry<String, String> e : cors.responseHeaders(origin).entrySet()) {
                HttpMessages.setHeader(msg, e.getKey(), e.getValue());
            }
        }
        ctx.write(msg, promise);
    }
}

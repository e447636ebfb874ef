package dev.lectern.signaling.transport;

import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.signaling.OriginPolicy;
import dev.lectern.signaling.engineio.EngineIoServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims the signaling paths on an HTTP connection and passes every other request, with its body, on untouched. For a
 * signaling path it checks the origin, answers the CORS preflight and refuses an unknown protocol version or
 * transport; what remains goes on as an {@link EngineIoPollingRequest} to {@link EngineIoPollingHandler} (its body
 * follows) or a {@link WebSocketUpgradeRequest} to {@link WebSocketUpgradeHandler} (its body, if any, is dropped here).
 * Both carry the request's headers only (no buffer). One instance per connection; removed when the connection becomes
 * a WebSocket.
 *
 * <p>Also writes the HTTP responses of the signaling handlers ({@link #respond}, {@link #badRequest}): the Engine.IO
 * error body {@code {"code","message"}}, CORS headers for allowed origins, and no keep-alive after an error.
 */
public final class SignalingRouterHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(SignalingRouterHandler.class);
    static final String JSON_WS_PATH = "/ws";

    /** A long-polling request (handshake, poll or post) claimed for {@link EngineIoPollingHandler}. */
    record EngineIoPollingRequest(HttpRequest request, EngineIoServer server, String sid) {}

    /**
     * A WebSocket upgrade claimed for {@link WebSocketUpgradeHandler}: Engine.IO ({@code server}, {@code sid} null for
     * a new session) or the JSON dialect ({@code token} or, in dev mode, {@code devUserId}).
     */
    record WebSocketUpgradeRequest(HttpRequest request, WebSocketKind kind, EngineIoServer server, String sid,
            String token, String devUserId) {}

    /** What becomes of the body parts that follow a request: passed on (to REST or a claiming handler) or dropped. */
    private enum Body { PASS, DROP }

    private final SignalingEndpoints endpoints;
    private Body body = Body.PASS;

    public SignalingRouterHandler(SignalingEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            onRequest(ctx, req);
        } else if (body == Body.DROP) {
            if (msg instanceof LastHttpContent) {
                body = Body.PASS;
            }
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void onRequest(ChannelHandlerContext ctx, HttpRequest req) {
        QueryStringDecoder qs = new QueryStringDecoder(req.uri());
        String path = qs.path();
        EngineIoServer eio = null;
        for (Map.Entry<String, EngineIoServer> e : endpoints.engineIo().entrySet()) {
            String prefix = e.getKey();
            if (path.equals(prefix) || path.equals(prefix.substring(0, prefix.length() - 1))) {
                eio = e.getValue();
            }
        }
        boolean json = endpoints.jsonWs() != null && path.equals(JSON_WS_PATH);
        if (eio == null && !json) {
            body = Body.PASS;
            ctx.fireChannelRead(req);
            return;
        }
        boolean last = req instanceof LastHttpContent;
        body = last ? Body.PASS : Body.DROP;
        try {
            if (!endpoints.origins().allows(req.headers().get(HttpHeaderNames.ORIGIN),
                    req.headers().get(HttpHeaderNames.HOST))) {
                respond(ctx, endpoints.origins(), req, HttpResponseStatus.FORBIDDEN,
                        "{\"code\":4,\"message\":\"Origin not allowed\"}", "application/json");
                return;
            }
            HttpRequest head = new DefaultHttpRequest(req.protocolVersion(), req.method(), req.uri(), req.headers());
            if (json) {
                ctx.fireChannelRead(new WebSocketUpgradeRequest(head, WebSocketKind.JSON, null, null,
                        param(qs, "token"), param(qs, "user_id")));
                return;
            }
            if (req.method() == HttpMethod.OPTIONS) {
                preflight(ctx, req);
                return;
            }
            if (!"4".equals(param(qs, "EIO"))) {
                badRequest(ctx, endpoints.origins(), req, 5, "Unsupported protocol version");
                return;
            }
            String transport = param(qs, "transport");
            String sid = param(qs, "sid");
            if ("websocket".equals(transport)) {
                ctx.fireChannelRead(new WebSocketUpgradeRequest(head, WebSocketKind.ENGINE_IO, eio, sid,
                        null, null));
            } else if ("polling".equals(transport)) {
                ctx.fireChannelRead(new EngineIoPollingRequest(head, eio, sid));
                if (last) { // its body, for the polling handler to read as it reads any other
                    ByteBuf content = ((LastHttpContent) req).content();
                    ctx.fireChannelRead(content.isReadable()
                            ? new DefaultLastHttpContent(content.retain()) : LastHttpContent.EMPTY_LAST_CONTENT);
                } else {
                    body = Body.PASS;
                }
            } else {
                badRequest(ctx, endpoints.origins(), req, 0, "Transport unknown");
            }
        } finally {
            ReferenceCountUtil.release(req);
        }
    }

    private void preflight(ChannelHandlerContext ctx, HttpRequest req) {
        FullHttpResponse res = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.NO_CONTENT);
        corsHeaders(endpoints.origins(), req, res);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST");
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type");
        HttpUtil.setContentLength(res, 0);
        ctx.writeAndFlush(res);
    }

    static String param(QueryStringDecoder qs, String name) {
        List<String> values = qs.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A 400 with the Engine.IO error body; the connection closes after it. */
    static void badRequest(ChannelHandlerContext ctx, OriginPolicy origins, HttpRequest req, int code, String message) {
        respond(ctx, origins, req, HttpResponseStatus.BAD_REQUEST,
                "{\"code\":" + code + ",\"message\":\"" + message + "\"}", "application/json");
    }

    /** Writes a complete response; kept alive only when the request asked for it and the status is not an error. */
    static void respond(ChannelHandlerContext ctx, OriginPolicy origins, HttpRequest req, HttpResponseStatus status,
            String body, String contentType) {
        if (!ctx.channel().isActive()) {
            return;
        }
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(req.protocolVersion(), status, content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        corsHeaders(origins, req, res);
        HttpUtil.setContentLength(res, content.readableBytes());
        boolean keepAlive = HttpUtil.isKeepAlive(req) && status.code() < 400;
        HttpUtil.setKeepAlive(res, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static void corsHeaders(OriginPolicy origins, HttpRequest req, FullHttpResponse res) {
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return;
        }
        if (origins.any()) {
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        } else if (origins.allows(origin, req.headers().get(HttpHeaderNames.HOST))) {
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            res.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }
}

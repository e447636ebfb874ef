package dev.lectern.signaling.transport;

import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.core.netty.PipelineNames;
import dev.lectern.core.util.Futures;
import dev.lectern.signaling.JsonWsEndpoint;
import dev.lectern.signaling.engineio.EngineIoPacketCodec;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.signaling.engineio.EngineIoSession;
import dev.lectern.signaling.engineio.PollRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims the signaling paths on an HTTP connection and passes every other request on untouched: Engine.IO long-polling
 * (GET/POST), the Engine.IO WebSocket upgrade and the {@code /ws} JSON dialect upgrade. On an upgrade it rebuilds the
 * pipeline for WebSocket (HTTP timeouts and REST dispatch no longer apply). One instance per connection.
 */
public final class SignalingHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(SignalingHandler.class);
    private static final String JSON_WS_PATH = "/ws";

    private enum State { IDLE, PASSING, OURS_IGNORE_BODY, OURS_POST }

    private final SignalingEndpoints endpoints;
    private static volatile WebSocketDecoderConfig decoderConfig;
    private State state = State.IDLE;
    private HttpRequest postRequest;
    private EngineIoServer postServer;
    private CompositeByteBuf postBody;
    private boolean postTooLarge;

    public SignalingHandler(SignalingEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req && state != State.PASSING) {
            onRequest(ctx, req);
            return;
        }
        switch (state) {
            case PASSING -> {
                if (msg instanceof LastHttpContent) {
                    state = State.IDLE;
                }
                ctx.fireChannelRead(msg);
            }
            case OURS_POST -> {
                if (msg instanceof HttpContent content) {
                    appendPost(ctx, content);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            case OURS_IGNORE_BODY -> {
                if (msg instanceof LastHttpContent) {
                    state = State.IDLE;
                }
                ReferenceCountUtil.release(msg);
            }
            default -> ctx.fireChannelRead(msg);
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
            state = req instanceof LastHttpContent ? State.IDLE : State.PASSING;
            ctx.fireChannelRead(req);
            return;
        }
        state = req instanceof LastHttpContent ? State.IDLE : State.OURS_IGNORE_BODY;
        try {
            String origin = req.headers().get(HttpHeaderNames.ORIGIN);
            if (!endpoints.origins().allows(origin, req.headers().get(HttpHeaderNames.HOST))) {
                respond(ctx, req, HttpResponseStatus.FORBIDDEN, "{\"code\":4,\"message\":\"Origin not allowed\"}",
                        "application/json");
                return;
            }
            if (json) {
                onJsonWs(ctx, req, qs);
            } else {
                onEngineIo(ctx, req, qs, eio);
            }
        } finally {
            ReferenceCountUtil.release(req);
        }
    }

    // ---- Engine.IO

    private void onEngineIo(ChannelHandlerContext ctx, HttpRequest req, QueryStringDecoder qs, EngineIoServer eio) {
        if (req.method() == HttpMethod.OPTIONS) {
            FullHttpResponse res = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.NO_CONTENT);
            corsHeaders(req, res);
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST");
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type");
            HttpUtil.setContentLength(res, 0);
            ctx.writeAndFlush(res);
            return;
        }
        String version = param(qs, "EIO");
        String transport = param(qs, "transport");
        String sid = param(qs, "sid");
        if (!"4".equals(version)) {
            badRequest(ctx, req, 5, "Unsupported protocol version");
            return;
        }
        if ("websocket".equals(transport)) {
            if (req.method() != HttpMethod.GET || !isUpgrade(req)) {
                badRequest(ctx, req, 3, "Bad request");
                return;
            }
            if (sid != null && eio.get(sid) == null) {
                badRequest(ctx, req, 1, "Session ID unknown");
                return;
            }
            upgrade(ctx, req, new EngineIoWebSocketHandler(eio, sid));
            return;
        }
        if (!"polling".equals(transport)) {
            badRequest(ctx, req, 0, "Transport unknown");
            return;
        }
        if (sid == null) {
            if (req.method() != HttpMethod.GET) {
                badRequest(ctx, req, 2, "Bad handshake method");
                return;
            }
            EngineIoServer.Opened opened = eio.open(ctx.channel().eventLoop(), null);
            respond(ctx, req, HttpResponseStatus.OK,
                    EngineIoPacketCodec.encodePayload(List.of(opened.openPacket())),
                    "text/plain; charset=UTF-8");
            eio.opened(opened.session());
            return;
        }
        EngineIoSession session = eio.get(sid);
        if (session == null) {
            if (req.method() == HttpMethod.GET && eio.takeLatePollOfClosed(sid)) {
                respond(ctx, req, HttpResponseStatus.OK, "6", "text/plain; charset=UTF-8");
            } else {
                badRequest(ctx, req, 1, "Session ID unknown");
            }
            return;
        }
        if (req.method() == HttpMethod.GET) {
            poll(ctx, req, session);
        } else if (req.method() == HttpMethod.POST) {
            if (req instanceof LastHttpContent last) {
                postRequest = req;
                postServer = eio;
                postBody = ctx.alloc().compositeBuffer();
                appendPost(ctx, last.retain());
            } else {
                state = State.OURS_POST;
                postRequest = req;
                postServer = eio;
                postBody = ctx.alloc().compositeBuffer();
                postTooLarge = false;
            }
        } else {
            badRequest(ctx, req, 2, "Bad request method");
        }
    }

    private void poll(ChannelHandlerContext ctx, HttpRequest req, EngineIoSession session) {
        PendingPoll poll = new PendingPoll(ctx, req, session);
        ctx.channel().closeFuture().addListener(poll);
        session.executor().execute(() -> session.onPoll(poll));
    }

    /** A long-polling GET waiting for packets; answered on its own channel's event loop. */
    private final class PendingPoll implements PollRequest, ChannelFutureListener {
        private final ChannelHandlerContext ctx;
        private final HttpRequest req;
        private final EngineIoSession session;

        PendingPoll(ChannelHandlerContext ctx, HttpRequest req, EngineIoSession session) {
            this.ctx = ctx;
            this.req = new DefaultFullHttpRequest(req.protocolVersion(), req.method(), req.uri(),
                    Unpooled.EMPTY_BUFFER, req.headers().copy(), EmptyHttpHeaders.INSTANCE);
            this.session = session;
        }

        @Override
        public void respond(String payload) {
            ctx.channel().eventLoop().execute(() -> {
                ctx.channel().closeFuture().removeListener(this);
                SignalingHandler.this.respond(ctx, req, HttpResponseStatus.OK, payload, "text/plain; charset=UTF-8");
            });
        }

        @Override
        public void reject(int status, String message) {
            ctx.channel().eventLoop().execute(() -> {
                ctx.channel().closeFuture().removeListener(this);
                badRequest(ctx, req, 3, message);
            });
        }

        @Override
        public void operationComplete(io.netty.channel.ChannelFuture future) {
            session.executor().execute(() -> session.onPollAborted(this));
        }
    }

    private void appendPost(ChannelHandlerContext ctx, HttpContent content) {
        if (!postTooLarge) {
            if (postBody.readableBytes() + content.content().readableBytes() > endpoints.maxPayloadBytes()) {
                postTooLarge = true;
                postBody.release();
                postBody = null;
                content.release();
            } else {
                postBody.addComponent(true, content.content().retain());
                content.release();
            }
        } else {
            content.release();
        }
        if (!(content instanceof LastHttpContent)) {
            return;
        }
        state = State.IDLE;
        HttpRequest req = postRequest;
        EngineIoServer eio = postServer;
        postRequest = null;
        postServer = null;
        String sid = param(new QueryStringDecoder(req.uri()), "sid");
        EngineIoSession session = eio.get(sid);
        if (postTooLarge) {
            postTooLarge = false;
            if (session != null) {
                session.executor().execute(() -> session.close("payload too large", false));
            }
            respond(ctx, req, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "{\"code\":3,\"message\":\"Payload too large\"}",
                    "application/json");
            return;
        }
        String body = postBody.toString(StandardCharsets.UTF_8);
        postBody.release();
        postBody = null;
        if (session == null) {
            badRequest(ctx, req, 1, "Session ID unknown");
            return;
        }
        HttpRequest copy = new DefaultFullHttpRequest(req.protocolVersion(), req.method(), req.uri(),
                Unpooled.EMPTY_BUFFER, req.headers().copy(), EmptyHttpHeaders.INSTANCE);
        session.executor().execute(() -> {
            int status = session.onPost(body);
            ctx.channel().eventLoop().execute(() -> {
                if (status == 200) {
                    respond(ctx, copy, HttpResponseStatus.OK, "ok", "text/html");
                } else {
                    badRequest(ctx, copy, 3, "Bad request");
                }
            });
        });
    }

    // ---- /ws

    private void onJsonWs(ChannelHandlerContext ctx, HttpRequest req, QueryStringDecoder qs) {
        if (req.method() != HttpMethod.GET || !isUpgrade(req)) {
            badRequest(ctx, req, 3, "WebSocket upgrade expected");
            return;
        }
        JsonWsEndpoint endpoint = endpoints.jsonWs();
        HttpRequest copy = new DefaultFullHttpRequest(req.protocolVersion(), req.method(), req.uri(),
                Unpooled.EMPTY_BUFFER, req.headers().copy(), EmptyHttpHeaders.INSTANCE);
        ctx.channel().config().setAutoRead(false);
        endpoint.authenticate(param(qs, "token"), param(qs, "user_id")).whenComplete((principal, error) ->
                ctx.channel().eventLoop().execute(() -> {
                    ctx.channel().config().setAutoRead(true);
                    if (!ctx.channel().isActive()) {
                        return;
                    }
                    if (error != null) {
                        Throwable cause = Futures.unwrap(error);
                        logger.debug("{} /ws refused: {}", ctx.channel(), cause.toString());
                        respond(ctx, copy, HttpResponseStatus.UNAUTHORIZED,
                                "{\"error\":\"unauthorized\",\"message\":\"a valid token is required\"}",
                                "application/json");
                        return;
                    }
                    upgrade(ctx, copy, new JsonWsHandler(endpoint, principal, endpoints.wsPingIntervalMillis(),
                            endpoints.wsPingTimeoutMillis(), endpoints.maxPayloadBytes()));
                }));
    }

    // ---- shared

    private void upgrade(ChannelHandlerContext ctx, HttpRequest req, ChannelHandler wsHandler) {
        String scheme = "ws";
        String url = scheme + "://" + req.headers().get(HttpHeaderNames.HOST, "localhost") + req.uri();
        WebSocketServerHandshakerFactory factory =
                new WebSocketServerHandshakerFactory(url, null, decoderConfig(endpoints.maxPayloadBytes()));
        WebSocketServerHandshaker handshaker = factory.newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        FullHttpRequest full = req instanceof FullHttpRequest f ? f.retainedDuplicate()
                : new DefaultFullHttpRequest(req.protocolVersion(), req.method(), req.uri(), Unpooled.EMPTY_BUFFER,
                        req.headers().copy(), EmptyHttpHeaders.INSTANCE);
        ChannelPipeline p = ctx.pipeline();
        for (String name : PipelineNames.HTTP_EDGE) {
            if (p.get(name) != null) {
                p.remove(name);
            }
        }
        p.replace(this, PipelineNames.EIO_TRANSPORT, wsHandler);
        handshaker.handshake(ctx.channel(), full).addListener(f -> {
            full.release();
            if (!f.isSuccess()) {
                ctx.channel().close();
            } else if (wsHandler instanceof EngineIoWebSocketHandler eio) {
                eio.handshakeComplete();
            } else if (wsHandler instanceof JsonWsHandler jws) {
                jws.handshakeComplete();
            }
        });
    }

    /** One decoder configuration per frame limit, shared by every connection (it would be ~24 bytes each). */
    private static WebSocketDecoderConfig decoderConfig(int maxPayloadBytes) {
        WebSocketDecoderConfig config = decoderConfig;
        if (config == null || config.maxFramePayloadLength() != maxPayloadBytes) {
            config = WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(maxPayloadBytes).allowExtensions(true)
                    .build();
            decoderConfig = config;
        }
        return config;
    }

    /**
     * Reassembles fragmented WebSocket messages on the rare connection that sends them: a message's first non-final
     * frame installs a {@link WebSocketFrameAggregator} (bounded by the payload limit) in front of {@code ctx} and is
     * passed to it. Connections that never fragment (browsers, socket.io-client) carry no aggregator at all. Returns
     * true when it took {@code msg}.
     */
    static boolean aggregateFragments(ChannelHandlerContext ctx, Object msg, int maxPayloadBytes) {
        if (!(msg instanceof WebSocketFrame frame) || frame.isFinalFragment()
                || msg instanceof ContinuationWebSocketFrame || ctx.pipeline().get(PipelineNames.WS_PROTOCOL) != null) {
            return false;
        }
        ChannelPipeline p = ctx.pipeline();
        p.addBefore(ctx.name(), PipelineNames.WS_PROTOCOL, new WebSocketFrameAggregator(maxPayloadBytes));
        ChannelHandlerContext decoder = p.context(WebSocketFrameDecoder.class);
        decoder.fireChannelRead(msg); // the next inbound handler after the decoder is now the aggregator
        return true;
    }

    private static boolean isUpgrade(HttpRequest req) {
        return req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && req.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private static String param(QueryStringDecoder qs, String name) {
        List<String> values = qs.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private void badRequest(ChannelHandlerContext ctx, HttpRequest req, int code, String message) {
        respond(ctx, req, HttpResponseStatus.BAD_REQUEST,
                "{\"code\":" + code + ",\"message\":\"" + message + "\"}", "application/json");
    }

    private void corsHeaders(HttpRequest req, FullHttpResponse res) {
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return;
        }
        if (endpoints.origins().any()) {
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        } else if (endpoints.origins().allows(origin, req.headers().get(HttpHeaderNames.HOST))) {
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            res.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
    }

    private void respond(ChannelHandlerContext ctx, HttpRequest req, HttpResponseStatus status, String body,
            String contentType) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(req.protocolVersion(), status, content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        corsHeaders(req, res);
        HttpUtil.setContentLength(res, content.readableBytes());
        boolean keepAlive = HttpUtil.isKeepAlive(req) && status.code() < 400;
        HttpUtil.setKeepAlive(res, keepAlive);
        if (!ctx.channel().isActive()) {
            res.release();
            return;
        }
        if (keepAlive) {
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (postBody != null) {
            postBody.release();
            postBody = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }
}

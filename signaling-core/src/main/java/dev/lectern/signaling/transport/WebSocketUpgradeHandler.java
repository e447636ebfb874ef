package dev.lectern.signaling.transport;

import dev.lectern.core.auth.TokenTypeRefusedException;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.core.netty.JsonErrors;
import dev.lectern.core.netty.PipelineNames;
import dev.lectern.core.util.Futures;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.signaling.transport.SignalingRouterHandler.WebSocketUpgradeRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a claimed {@link WebSocketUpgradeRequest} into a WebSocket: checks it (a GET with
 * {@code Upgrade: websocket}; for Engine.IO a known sid, for {@code /ws} a valid token, checked off the event loop with
 * reads paused), puts the WebSocket handler of its kind in its own place and drops the HTTP handlers (they do not
 * apply to frames), then performs the handshake. Once the 101 is written it fires {@link WebSocketUpgraded}, on which
 * the WebSocket handler starts its session. Stateless: one instance serves every connection of a listener.
 */
@ChannelHandler.Sharable
public final class WebSocketUpgradeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(WebSocketUpgradeHandler.class);

    private final SignalingEndpoints endpoints;
    /** One decoder configuration for every connection (it would be ~24 bytes each). */
    private final WebSocketDecoderConfig decoderConfig;

    public WebSocketUpgradeHandler(SignalingEndpoints endpoints) {
        this.endpoints = endpoints;
        this.decoderConfig = WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(endpoints.maxPayloadBytes())
                .allowExtensions(true).build();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketUpgradeRequest upgrade)) {
            ctx.fireChannelRead(msg);
            return;
        }
        HttpRequest req = upgrade.request();
        if (upgrade.kind() == WebSocketKind.JSON) {
            if (!isUpgrade(req)) {
                badRequest(ctx, req, 3, "WebSocket upgrade expected");
            } else {
                authenticate(ctx, upgrade);
            }
            return;
        }
        EngineIoServer eio = upgrade.server();
        if (!isUpgrade(req)) {
            badRequest(ctx, req, 3, "Bad request");
        } else if (upgrade.sid() != null && eio.get(upgrade.sid()) == null) {
            badRequest(ctx, req, 1, "Session ID unknown");
        } else {
            upgrade(ctx, req, new EngineIoWebSocketHandler(eio,
                            req.headers().get(io.netty.handler.codec.http.HttpHeaderNames.COOKIE),
                            req.headers().get("X-Forwarded-For")),
                    new WebSocketUpgraded(WebSocketKind.ENGINE_IO, req.uri(), upgrade.sid(), null));
        }
    }

    private void authenticate(ChannelHandlerContext ctx, WebSocketUpgradeRequest upgrade) {
        HttpRequest req = upgrade.request();
        ctx.channel().config().setAutoRead(false);
        String token = upgrade.token() != null ? upgrade.token() : protocolToken(req);
        endpoints.jsonWs().authenticate(token, upgrade.devUserId()).whenComplete((principal, error) ->
                ctx.channel().eventLoop().execute(() -> {
                    ctx.channel().config().setAutoRead(true);
                    if (!ctx.channel().isActive() || ctx.isRemoved()) {
                        return;
                    }
                    if (error != null) {
                        Throwable cause = Futures.unwrap(error);
                        logger.debug("{} /ws refused: {}", ctx.channel(), cause.toString());
                        boolean wrongKind = cause instanceof TokenTypeRefusedException;
                        byte[] body = wrongKind
                                ? JsonErrors.body(TokenTypeRefusedException.CODE, cause.getMessage(), null)
                                : JsonErrors.body("unauthorized", "a valid token is required", null);
                        SignalingRouterHandler.respond(ctx, endpoints.origins(), req, wrongKind
                                ? HttpResponseStatus.FORBIDDEN : HttpResponseStatus.UNAUTHORIZED,
                                new String(body, java.nio.charset.StandardCharsets.UTF_8), "application/json");
                        return;
                    }
                    upgrade(ctx, req, newJsonWsHandler(),
                            new WebSocketUpgraded(WebSocketKind.JSON, req.uri(), null, principal));
                }));
    }

    /** The subprotocol a client offers next to {@code bearer.<token>}; the server selects it. */
    static final String SUBPROTOCOL = "lectern";
    private static final String BEARER = "bearer.";

    /**
     * The token a /ws client may offer as the subprotocol {@code bearer.<token>} (next to {@value #SUBPROTOCOL}),
     * which keeps it out of the URL and so out of proxies' access logs; null when none.
     */
    static String protocolToken(HttpRequest req) {
        String offered = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        if (offered == null) {
            return null;
        }
        for (String p : offered.split(",")) {
            String s = p.strip();
            if (s.startsWith(BEARER) && s.length() > BEARER.length()) {
                return s.substring(BEARER.length());
            }
        }
        return null;
    }

    private JsonWsHandler newJsonWsHandler() {
        return new JsonWsHandler(endpoints.jsonWs(), endpoints.wsPingIntervalMillis(), endpoints.wsPingTimeoutMillis(),
                endpoints.maxPayloadBytes());
    }

    /**
     * The HTTP handlers go first: the 101 is written from the pipeline's tail, and none of them applies to frames.
     * Netty's handshaker then swaps the HTTP codec for the WebSocket one.
     */
    private void upgrade(ChannelHandlerContext ctx, HttpRequest req, ChannelHandler webSocketHandler,
            WebSocketUpgraded upgraded) {
        String url = "ws://" + req.headers().get(HttpHeaderNames.HOST, "localhost") + req.uri();
        // a /ws client that sent its token as a subprotocol gets "lectern" selected (a browser requires one)
        String subprotocols = upgraded.kind() == WebSocketKind.JSON && protocolToken(req) != null ? SUBPROTOCOL : null;
        WebSocketServerHandshaker handshaker =
                new WebSocketServerHandshakerFactory(url, subprotocols, decoderConfig).newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        ChannelPipeline p = ctx.pipeline();
        for (String name : new String[] {PipelineNames.HTTP_TIMEOUT, PipelineNames.SIGNALING_ROUTER,
                PipelineNames.ENGINE_IO_POLLING}) {
            if (p.get(name) != null) {
                p.remove(name);
            }
        }
        while (p.lastContext() != ctx) { // REST dispatch and whatever else serves HTTP behind the signaling paths
            p.removeLast();
        }
        p.replace(ctx.name(), PipelineNames.WEBSOCKET_TRANSPORT, webSocketHandler);
        FullHttpRequest full = new DefaultFullHttpRequest(req.protocolVersion(), req.method(), req.uri(),
                Unpooled.EMPTY_BUFFER, req.headers(), EmptyHttpHeaders.INSTANCE);
        handshaker.handshake(ctx.channel(), full).addListener(f -> {
            if (f.isSuccess()) {
                p.fireUserEventTriggered(upgraded);
            } else {
                ctx.channel().close();
            }
        });
    }

    /**
     * Reassembles fragmented WebSocket messages on the rare connection that sends them: a message's first non-final
     * frame installs a {@link WebSocketFrameAggregator} (bounded by the payload limit) in front of {@code ctx} and is
     * passed to it. Connections that never fragment (browsers, socket.io-client) carry no aggregator at all. Returns
     * true when it took {@code msg}. Called first by each WebSocket handler's {@code channelRead}.
     */
    static boolean aggregateFragments(ChannelHandlerContext ctx, Object msg, int maxPayloadBytes) {
        if (!(msg instanceof WebSocketFrame frame) || frame.isFinalFragment()
                || msg instanceof ContinuationWebSocketFrame
                || ctx.pipeline().get(PipelineNames.WS_FRAME_AGGREGATOR) != null) {
            return false;
        }
        ChannelPipeline p = ctx.pipeline();
        p.addBefore(ctx.name(), PipelineNames.WS_FRAME_AGGREGATOR, new WebSocketFrameAggregator(maxPayloadBytes));
        ChannelHandlerContext decoder = p.context(WebSocketFrameDecoder.class);
        decoder.fireChannelRead(msg); // the next inbound handler after the decoder is now the aggregator
        return true;
    }

    private static boolean isUpgrade(HttpRequest req) {
        return req.method() == HttpMethod.GET
                && req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && req.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private void badRequest(ChannelHandlerContext ctx, HttpRequest req, int code, String message) {
        SignalingRouterHandler.badRequest(ctx, endpoints.origins(), req, code, message);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }
}

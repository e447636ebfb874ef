package dev.lectern.signaling.transport;

import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.signaling.OriginPolicy;
import dev.lectern.signaling.engineio.EngineIoPacketCodec;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.signaling.engineio.EngineIoSession;
import dev.lectern.signaling.engineio.PollRequest;
import dev.lectern.signaling.transport.SignalingRouterHandler.EngineIoPollingRequest;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Engine.IO long-polling transport: the handshake GET, GETs that wait for packets, and POSTs whose body (at most
 * the payload limit, else 413 and the session closes) is handed to the session as text. Takes the
 * {@link EngineIoPollingRequest} requests the router passes on and the body parts that follow them; passes
 * everything else on. One instance per connection.
 */
public final class EngineIoPollingHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(EngineIoPollingHandler.class);
    private static final String TEXT = "text/plain; charset=UTF-8";

    /** What the body parts that follow a request are for. */
    private enum Body { NOT_OURS, DROP, POST }

    private final OriginPolicy origins;
    private final int maxPayloadBytes;
    private Body body = Body.NOT_OURS;
    private EngineIoPollingRequest post;
    /** The body of the POST being read; null when it grew past the limit. */
    private CompositeByteBuf postBody;

    public EngineIoPollingHandler(OriginPolicy origins, int maxPayloadBytes) {
        this.origins = origins;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof EngineIoPollingRequest req) {
            onRequest(ctx, req);
        } else if (body == Body.NOT_OURS || !(msg instanceof HttpContent)) {
            ctx.fireChannelRead(msg);
        } else if (body == Body.POST) {
            appendPost(ctx, (HttpContent) msg);
        } else {
            if (msg instanceof LastHttpContent) {
                body = Body.NOT_OURS;
            }
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(ChannelHandlerContext ctx, EngineIoPollingRequest polling) {
        body = Body.DROP;
        HttpRequest req = polling.request();
        EngineIoServer eio = polling.server();
        if (polling.sid() == null) {
            if (req.method() != HttpMethod.GET) {
                badRequest(ctx, req, 2, "Bad handshake method");
                return;
            }
            java.util.concurrent.CompletionStage<Boolean> admitted = eio.handshakeGate().admit(peer(ctx, req));
            if (admitted instanceof java.util.concurrent.CompletableFuture<Boolean> f && f.isDone()
                    && !f.isCompletedExceptionally()) {
                handshake(ctx, req, eio, f.join());
            } else {
                admitted.whenComplete((ok, error) -> ctx.executor().execute(() -> {
                    if (!ctx.channel().isActive()) {
                        return;
                    }
                    if (error != null) {
                        respond(ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE,
                                "{\"code\":5,\"message\":\"the server cannot take new sessions right now\"}");
                    } else {
                        handshake(ctx, req, eio, ok);
                    }
                }));
            }
            return;
        }
        EngineIoSession session = eio.get(polling.sid());
        if (session == null) {
            if (req.method() == HttpMethod.GET && eio.takeLatePollOfClosed(polling.sid())) {
                respond(ctx, req, HttpResponseStatus.OK, "6");
            } else {
                badRequest(ctx, req, 1, "Session ID unknown");
            }
        } else if (req.method() == HttpMethod.GET) {
            PendingPoll poll = new PendingPoll(ctx, req, session);
            ctx.channel().closeFuture().addListener(poll);
            session.executor().execute(() -> session.onPoll(poll));
        } else if (req.method() == HttpMethod.POST) {
            body = Body.POST;
            post = polling;
            postBody = ctx.alloc().compositeBuffer();
        } else {
            badRequest(ctx, req, 2, "Bad request method");
        }
    }

    /** A long-polling GET waiting for packets; answered on its own channel's event loop. */
    private final class PendingPoll implements PollRequest, ChannelFutureListener {
        private final ChannelHandlerContext ctx;
        private final HttpRequest req;
        private final EngineIoSession session;

        PendingPoll(ChannelHandlerContext ctx, HttpRequest req, EngineIoSession session) {
            this.ctx = ctx;
            this.req = req;
            this.session = session;
        }

        @Override
        public void respond(String payload) {
            ctx.channel().eventLoop().execute(() -> {
                ctx.channel().closeFuture().removeListener(this);
                EngineIoPollingHandler.this.respond(ctx, req, HttpResponseStatus.OK, payload);
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
        public void operationComplete(ChannelFuture future) {
            session.executor().execute(() -> session.onPollAborted(this));
        }
    }

    private void appendPost(ChannelHandlerContext ctx, HttpContent content) {
        if (postBody != null && postBody.readableBytes() + content.content().readableBytes() > maxPayloadBytes) {
            postBody.release();
            postBody = null;
        }
        if (postBody != null) {
            postBody.addComponent(true, content.content().retain());
        }
        content.release();
        if (!(content instanceof LastHttpContent)) {
            return;
        }
        body = Body.NOT_OURS;
        EngineIoPollingRequest polling = post;
        post = null;
        HttpRequest req = polling.request();
        EngineIoSession session = polling.server().get(polling.sid());
        if (postBody == null) {
            if (session != null) {
                session.executor().execute(() -> session.close("payload too large", false));
            }
            SignalingRouterHandler.respond(ctx, origins, req, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "{\"code\":3,\"message\":\"Payload too large\"}", "application/json");
            return;
        }
        String text = postBody.toString(StandardCharsets.UTF_8);
        postBody.release();
        postBody = null;
        if (session == null) {
            badRequest(ctx, req, 1, "Session ID unknown");
            return;
        }
        session.executor().execute(() -> {
            int status = session.onPost(text);
            ctx.channel().eventLoop().execute(() -> {
                if (status == 200) {
                    SignalingRouterHandler.respond(ctx, origins, req, HttpResponseStatus.OK, "ok", "text/html");
                } else {
                    badRequest(ctx, req, 3, "Bad request");
                }
            });
        });
    }

    /** A polling handshake the gate answered: a new session, or 429 / 503 when refused. */
    private void handshake(ChannelHandlerContext ctx, HttpRequest req, EngineIoServer eio, boolean admitted) {
        if (!admitted) {
            respond(ctx, req, HttpResponseStatus.TOO_MANY_REQUESTS,
                    "{\"code\":5,\"message\":\"too many requests from this address\"}");
            return;
        }
        EngineIoServer.Opened opened = eio.open(ctx.channel().eventLoop(), null, peer(ctx, req),
                req.headers().get(io.netty.handler.codec.http.HttpHeaderNames.COOKIE));
        if (opened == null) {
            respond(ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "{\"code\":5,\"message\":\"too many sessions waiting to connect\"}");
            return;
        }
        respond(ctx, req, HttpResponseStatus.OK, EngineIoPacketCodec.encodePayload(List.of(opened.openPacket())));
        eio.opened(opened.session());
    }

    /** The client's address: the peer's, or what a trusted proxy said with the PROXY protocol. */
    /** The client {@code req} is for (X-Forwarded-For believed only from a trusted proxy), as the REST limits see it. */
    static String peer(ChannelHandlerContext ctx, HttpRequest req) {
        return dev.lectern.core.netty.ChannelAttrs.clientHost(ctx.channel(),
                req == null ? null : req.headers().get("X-Forwarded-For"));
    }

    private void respond(ChannelHandlerContext ctx, HttpRequest req, HttpResponseStatus status, String payload) {
        SignalingRouterHandler.respond(ctx, origins, req, status, payload, TEXT);
    }

    private void badRequest(ChannelHandlerContext ctx, HttpRequest req, int code, String message) {
        SignalingRouterHandler.badRequest(ctx, origins, req, code, message);
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

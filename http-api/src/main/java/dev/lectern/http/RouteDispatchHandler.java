package dev.lectern.http;

import dev.lectern.core.log.LogContext;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.core.netty.HttpMessages;
import dev.lectern.core.netty.PipelineNames;
import dev.lectern.http.sse.EventStream;
import dev.lectern.http.sse.SseHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routing and the route's answer, one request at a time (the keep-alive handler before this one holds pipelined
 * requests back): 400 for a malformed request, 404, 405 with {@code Allow}, {@code OPTIONS} with {@code Allow} or as
 * a CORS preflight, body
 * limits (413), content types (415), {@code 100 Continue} once the route will read the body, then the decorators and
 * the route. Bodies are copied out of Netty's buffers here; handlers see plain Java.
 * <ul>
 *   <li>A REST route's {@link ApiResponse} is written as a complete response.</li>
 *   <li>An {@link SseRoute}'s event stream is handed to the {@link SseHandler} after this one.</li>
 *   <li>A {@link Tunnel}'s handler is installed after this one and gets the raw request (see there).</li>
 * </ul>
 */
public final class RouteDispatchHandler extends ChannelDuplexHandler {
    private static final Logger logger = LoggerFactory.getLogger(RouteDispatchHandler.class);
    private static final io.netty.util.AsciiString NOSNIFF = io.netty.util.AsciiString.cached("x-content-type-options");

    private enum Mode { NONE, AGGREGATE, DISCARD, SSE, STREAM_PENDING, STREAMING }

    private final HttpApp app;
    private final ArrayDeque<Object> pendingStream = new ArrayDeque<>();

    // the request in progress
    private Mode mode = Mode.NONE;
    private HttpRequest request;
    private String requestId;
    private CompositeByteBuf body;
    private boolean bodyDone;
    private boolean responseDone;
    private Route pendingRoute;
    private ApiRequest pendingRequest;
    private String remoteAddress;
    /** The tunnel handler of the request in progress, and the route that made it. */
    private ChannelHandler streamHandler;
    private Tunnel streamRoute;
    /** A tunnel handler left installed after its request ({@link Tunnel#keepInstalled}), and its route. */
    private ChannelHandler parked;
    private Tunnel parkedBy;
    /** Between a channelRead and its channelReadComplete: a handler given messages now will see the complete too. */
    private boolean reading;

    public RouteDispatchHandler(HttpApp app) {
        this.app = app;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        if (!(msg instanceof HttpRequest) && !(msg instanceof HttpContent)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (request == null && !(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg); // stray content after a request that was already answered
            return;
        }
        if (msg instanceof HttpRequest r) {
            onRequest(ctx, r);
        }
        if (msg instanceof HttpContent c) {
            onContent(ctx, c);
        }
    }

    private void onRequest(ChannelHandlerContext ctx, HttpRequest r) {
        request = r;
        RequestContext rc = RequestContextHandler.of(ctx.channel());
        requestId = rc.requestId();
        bodyDone = false;
        responseDone = false;
        mode = Mode.NONE;

        if (r.decoderResult().isFailure()) {
            Throwable cause = r.decoderResult().cause();
            int status = cause instanceof TooLongHttpLineException ? 414
                    : cause instanceof TooLongHttpHeaderException ? 431
                    : cause instanceof TooLongFrameException ? 413 : 400;
            String code = status == 400 ? "bad_request" : status == 414 ? "uri_too_long"
                    : status == 431 ? "headers_too_large" : "payload_too_large";
            respondEarly(ctx, ErrorMapper.error(status, code, "malformed HTTP request", requestId), true);
            return;
        }
        String path = rc.path();
        if (path == null) {
            respondEarly(ctx, ErrorMapper.error(400, "bad_request", "malformed request URI", requestId), false);
            return;
        }
        String method = rc.method();
        if (!HttpApp.KNOWN_METHODS.contains(method)) {
            respondUnmatched(ctx, ErrorMapper.error(501, "not_implemented", "method not implemented", requestId));
            return;
        }
        Router.Match match = app.router().match(method, path);
        if (r.method().equals(HttpMethod.OPTIONS)) {
            List<String> allowed = match instanceof Router.MethodNotAllowed m ? m.allowed()
                    : match instanceof Router.Found f ? List.of(f.route().method(), "OPTIONS") : null;
            String origin = r.headers().get(HttpHeaderNames.ORIGIN);
            if (origin != null && r.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD)) {
                respondEarly(ctx, preflight(origin, allowed), false);
                return;
            }
            if (allowed != null) {
                respondEarly(ctx, ApiResponse.noContent().withHeader("Allow", String.join(", ", allowed)), false);
                return;
            }
        }
        if (match instanceof Router.NotFound) {
            respondUnmatched(ctx, ErrorMapper.error(404, "not_found", "no route for " + method + " " + path,
                    requestId));
            return;
        }
        if (match instanceof Router.MethodNotAllowed m) {
            respondUnmatched(ctx, ErrorMapper.error(405, "method_not_allowed",
                    method + " is not allowed here; use " + String.join(", ", m.allowed()), requestId)
                    .withHeader("Allow", String.join(", ", m.allowed())));
            return;
        }
        Router.Found found = (Router.Found) match;
        Route route = found.route();
        rc.matched(route.template());
        ApiRequest apiRequest = new ApiRequest(method, path, rc.query(), found.pathParams(),
                Headers.of(r.headers()), null, remoteAddress(ctx), requestId, null);

        if (route.tunnel() != null) {
            mode = Mode.STREAM_PENDING;
            if (hasBody(r)) {
                // the handler decides how fast the body arrives. Without a body there is nothing to hold back, and
                // leaving reading on saves two epoll_ctl calls per request (a proxied GET costs only a few more);
                // a pipelined request that arrives meanwhile turns it off (the keep-alive handler)
                ctx.channel().config().setAutoRead(false);
            }
            AtomicReference<ApiRequest> admitted = new AtomicReference<>(apiRequest);
            CompletionStage<ApiResponse> decision = app.invoke(route, apiRequest, admitted::set);
            decision.whenComplete((resp, err) -> onEventLoop(ctx,
                    () -> startTunnel(ctx, route, admitted.get(), resp, err)));
            return;
        }
        long length = HttpUtil.getContentLength(r, -1L);
        if (length > app.config().maxContentBytes()) {
            respondEarly(ctx, tooLarge(), true);
            return;
        }
        if (HttpUtil.is100ContinueExpected(r)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        mode = Mode.AGGREGATE;
        body = ctx.alloc().compositeBuffer(1024);
        pendingRoute = route;
        pendingRequest = apiRequest;
    }

    /** A CORS preflight's answer: 204 with what the path allows, or 403 for an origin not listed. */
    private ApiResponse preflight(String origin, List<String> allowed) {
        Map<String, String> h = app.cors().preflightHeaders(origin, allowed);
        if (h == null) {
            return ErrorMapper.error(403, "forbidden", "origin not allowed", requestId);
        }
        ApiResponse resp = ApiResponse.noContent();
        for (Map.Entry<String, String> e : h.entrySet()) {
            resp = resp.withHeader(e.getKey(), e.getValue());
        }
        return resp;
    }

    private ApiResponse tooLarge() {
        return ErrorMapper.error(413, "payload_too_large",
                "request body exceeds " + app.config().maxContentBytes() + " bytes", requestId);
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        switch (mode) {
            case AGGREGATE -> {
                ByteBuf content = c.content();
                if (body.readableBytes() + content.readableBytes() > app.config().maxContentBytes()) {
                    c.release();
                    releaseBody();
                    respondEarly(ctx, tooLarge(), true);
                    return;
                }
                if (content.isReadable()) {
                    body.addComponent(true, content.retain());
                }
                c.release();
                if (last) {
                    bodyDone = true;
                    ctx.channel().config().setAutoRead(false);
                    dispatch(ctx);
                }
            }
            case STREAM_PENDING -> {
                pendingStream.add(c);
                if (last) {
                    bodyDone = true;
                }
            }
            case STREAMING -> {
                if (last) {
                    bodyDone = true;
                }
                ctx.fireChannelRead(c);
                if (last) {
                    maybeReset(ctx);
                }
            }
            default -> {
                c.release();
                if (last) {
                    bodyDone = true;
                    maybeReset(ctx);
                }
            }
        }
    }

    /** The whole body is here: check its type, then run the decorators and the route. */
    private void dispatch(ChannelHandlerContext ctx) {
        byte[] bytes = ByteBufUtil.getBytes(body);
        releaseBody();
        mode = Mode.NONE;
        Route route = pendingRoute;
        ApiRequest base = pendingRequest;
        pendingRoute = null;
        pendingRequest = null;
        if (bytes.length > 0 && !route.consumes().isEmpty() && !accepts(route.consumes(), base.contentType())) {
            respond(ctx, ErrorMapper.error(415, "unsupported_media_type",
                    "content type must be one of " + route.consumes(), requestId), false);
            return;
        }
        ApiRequest apiRequest = new ApiRequest(base.method(), base.path(), base.query(), base.pathParams(),
                base.headers(), bytes, base.remoteAddress(), base.requestId(), null);
        String id = requestId;
        if (route.sse() != null) {
            AtomicReference<ApiRequest> admitted = new AtomicReference<>(apiRequest);
            app.invoke(route, apiRequest, admitted::set).whenComplete((resp, err) -> onEventLoop(ctx,
                    () -> openStream(ctx, route.sse(), admitted.get(), resp, err)));
            return;
        }
        app.invoke(route, apiRequest).whenComplete((resp, err) -> onEventLoop(ctx,
                () -> respond(ctx, err == null ? resp : ErrorMapper.toResponse(err, id), false)));
    }

    /** The decorators have decided on an SSE request: open the route's stream and hand it to the SSE handler. */
    private void openStream(ChannelHandlerContext ctx, SseRoute sse, ApiRequest admitted, ApiResponse resp,
                            Throwable err) {
        if (err != null || resp != HttpApp.TAKEOVER) {
            respond(ctx, err != null ? ErrorMapper.toResponse(err, requestId) : resp, false);
            return;
        }
        CompletionStage<EventStream> opened;
        try {
            opened = sse.source().open(admitted, ctx.channel().eventLoop());
        } catch (Throwable t) {
            opened = CompletableFuture.failedFuture(t);
        }
        HttpRequest forRequest = request;
        opened.whenComplete((stream, failure) -> onEventLoop(ctx, () -> {
            if (request != forRequest || !ctx.channel().isActive()) {
                if (stream != null) {
                    stream.cancel(); // the client went away meanwhile
                }
                return;
            }
            if (failure != null || stream == null) {
                respond(ctx, ErrorMapper.toResponse(failure != null ? failure
                        : new IllegalStateException("no event stream"), requestId), false);
                return;
            }
            removeParked(ctx);
            mode = Mode.SSE;
            ctx.fireUserEventTriggered(new SseHandler.Start(stream, requestId, sse.keepAliveMillis()));
        }));
    }

    /** Whether the request says a body follows (a malformed length counts as one). */
    private static boolean hasBody(HttpRequest r) {
        try {
            return HttpUtil.isTransferEncodingChunked(r) || HttpUtil.getContentLength(r, 0L) > 0;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    private static boolean accepts(List<String> consumes, String contentType) {
        String ct = contentType.toLowerCase(Locale.ROOT);
        int semi = ct.indexOf(';');
        String base = (semi < 0 ? ct : ct.substring(0, semi)).trim();
        for (String c : consumes) {
            if (base.equals(c)) {
                return true;
            }
        }
        return false;
    }

    private void startTunnel(ChannelHandlerContext ctx, Route route, ApiRequest apiRequest, ApiResponse resp,
                             Throwable err) {
        if (!ctx.channel().isActive() || request == null) {
            releasePending();
            return;
        }
        if (err != null || resp != HttpApp.TAKEOVER) {
            refuseTunnel(ctx, err != null ? ErrorMapper.toResponse(err, requestId) : resp);
            return;
        }
        ChannelHandler handler;
        Tunnel tunnel = route.tunnel();
        try {
            handler = tunnel.handler(apiRequest, parkedBy == tunnel ? parked : null);
        } catch (Throwable t) {
            refuseTunnel(ctx, ErrorMapper.toResponse(t, requestId));
            return;
        }
        mode = Mode.STREAMING;
        if (handler != parked) {
            removeParked(ctx);
            ctx.pipeline().addAfter(ctx.name(), PipelineNames.HTTP_STREAM, handler);
        }
        parked = null;
        parkedBy = null;
        streamHandler = handler;
        streamRoute = tunnel;
        boolean handOver = !reading; // a later task, or a pipelined request started from a write
        ctx.fireChannelRead(request);
        while (!pendingStream.isEmpty() && mode == Mode.STREAMING) {
            ctx.fireChannelRead(pendingStream.poll());
        }
        if (handOver && mode == Mode.STREAMING) {
            // no read of the socket is in progress, so none will complete: say the batch is over, as a read would
            ctx.fireChannelReadComplete();
        }
        if (bodyDone) {
            maybeReset(ctx);
        }
    }

    /** A tunnel refused before it started: the rest of the body is dropped, or the connection closes after it. */
    private void refuseTunnel(ChannelHandlerContext ctx, ApiResponse resp) {
        mode = Mode.DISCARD;
        releasePending();
        boolean close = !bodyDone;
        respond(ctx, resp, close);
    }

    private void removeParked(ChannelHandlerContext ctx) {
        ChannelHandler h = parked;
        parked = null;
        parkedBy = null;
        if (h != null && ctx.pipeline().context(h) != null) {
            ctx.pipeline().remove(h);
        }
    }

    // --- outbound: the end of a tunnel's or a stream's response finishes the request

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ctx.write(msg, promise);
        if ((mode == Mode.STREAMING || mode == Mode.SSE) && request != null && HttpMessages.isLast(msg)) {
            responseDone = true;
            maybeReset(ctx);
        }
    }

    // --- responses written by this handler

    /**
     * A 404, 405 or 501, after the per-address limit counted it (it may answer 429 instead). The body is skipped
     * meanwhile; a client that sends too much has the connection closed.
     */
    private void respondUnmatched(ChannelHandlerContext ctx, ApiResponse resp) {
        mode = Mode.DISCARD;
        HttpRequest forRequest = request;
        boolean close = hasBody(request)
                && HttpUtil.getContentLength(request, Long.MAX_VALUE) > app.config().maxContentBytes();
        RequestContext rc = RequestContextHandler.of(ctx.channel());
        ApiRequest r = new ApiRequest(rc.method(), rc.path(), Map.of(), Map.of(),
                Headers.of(request.headers()), null, remoteAddress(ctx), requestId, null);
        String id = requestId;
        app.invokeUnmatched(r, resp).whenComplete((ok, err) -> onEventLoop(ctx, () -> {
            if (request == forRequest) {
                respond(ctx, err == null ? ok : ErrorMapper.toResponse(err, id), close);
            }
        }));
    }

    /** Answers before the body has been read: the rest of the body is skipped, or the connection closed. */
    private void respondEarly(ChannelHandlerContext ctx, ApiResponse resp, boolean close) {
        mode = Mode.DISCARD;
        if (!close && hasBody(request)
                && HttpUtil.getContentLength(request, Long.MAX_VALUE) > app.config().maxContentBytes()) {
            close = true; // too much to skip
        }
        respond(ctx, resp, close);
    }

    /** An {@link ApiResponse} as a complete HTTP/1.1 response: status, content type, headers, length, body. */
    public static FullHttpResponse fullResponse(ApiResponse resp) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(resp.status()), Unpooled.wrappedBuffer(resp.body()));
        setHeaders(resp, r.headers());
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, resp.body().length);
        return r;
    }

    private static void setHeaders(ApiResponse resp, HttpHeaders h) {
        if (resp.contentType() != null) {
            h.set(HttpHeaderNames.CONTENT_TYPE, resp.contentType());
            if (resp.contentType().startsWith("application/json")) {
                // a browser never reads an API answer as HTML or script, whatever a user managed to put in it
                h.set(NOSNIFF, "nosniff");
            }
        }
        for (Map.Entry<String, String> e : resp.headers().entrySet()) {
            h.set(e.getKey(), e.getValue());
        }
    }

    /** Writes the answer; {@code close}: the connection closes after it (the keep-alive handler sees to that). */
    private void respond(ChannelHandlerContext ctx, ApiResponse resp, boolean close) {
        if (request == null || responseDone) {
            return;
        }
        if (resp.file() != null) {
            respondWithFile(ctx, resp, close);
            return;
        }
        FullHttpResponse r = fullResponse(resp);
        if (close) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        responseDone = true;
        ctx.writeAndFlush(r);
        maybeReset(ctx);
    }

    /** The head, then the file as a region the transport sends from disk (no copy through the heap), then the end. */
    private void respondWithFile(ChannelHandlerContext ctx, ApiResponse resp, boolean close) {
        ApiResponse.FileBody file = resp.file();
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(resp.status()));
        setHeaders(resp, head.headers());
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, file.length());
        if (close) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        responseDone = true;
        ctx.write(head);
        ctx.write(new DefaultFileRegion(file.path().toFile(), 0, file.length()));
        ChannelFuture sent = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (file.afterSent() != null) {
            sent.addListener(f -> file.afterSent().run());
        }
        maybeReset(ctx);
    }

    /** When both the request body and the response are done, gets ready for the next request on the connection. */
    private void maybeReset(ChannelHandlerContext ctx) {
        if (!bodyDone || !responseDone || request == null) {
            return;
        }
        if (mode == Mode.STREAMING) {
            ChannelHandler h = streamHandler;
            Tunnel by = streamRoute;
            streamHandler = null;
            streamRoute = null;
            if (h != null && by.keepInstalled(h) && ctx.pipeline().context(h) != null) {
                parked = h; // idle until the connection's next request on that route: no pipeline change per request
                parkedBy = by;
            } else if (ctx.pipeline().get(PipelineNames.HTTP_STREAM) != null) {
                ctx.pipeline().remove(PipelineNames.HTTP_STREAM);
            }
        }
        // content a tunnel never read (it answered before the body was handed on, e.g. a GET's empty last content)
        // belongs to this request: left queued it would be handed to the next request's tunnel before that body
        releasePending();
        request = null;
        mode = Mode.NONE;
    }

    private void onEventLoop(ChannelHandlerContext ctx, Runnable task) {
        String id = requestId;
        Runnable wrapped = () -> {
            try (LogContext ignored = LogContext.push(id)) {
                task.run();
            } catch (Throwable t) {
                logger.warn("response failed", t);
                ctx.close();
            }
        };
        if (ctx.executor().inEventLoop()) {
            wrapped.run();
        } else {
            ctx.executor().execute(wrapped);
        }
    }

    /** The client's address, worked out once per connection rather than per request. */
    /** The client's address: the peer's, or behind a trusted proxy what its {@code X-Forwarded-For} says. */
    private String remoteAddress(ChannelHandlerContext ctx) {
        if (!app.config().trustedProxies().isEmpty()) {
            return app.clientAddresses().resolve(dev.lectern.core.netty.ChannelAttrs.clientAddress(ctx.channel()),
                    request == null ? null : request.headers().get("X-Forwarded-For"));
        }
        if (remoteAddress == null) {
            remoteAddress = app.clientAddresses().resolve(ctx.channel().remoteAddress(), null);
        }
        return remoteAddress;
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private void releasePending() {
        Object o;
        while ((o = pendingStream.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cleanup();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cleanup();
    }

    private void cleanup() {
        releaseBody();
        releasePending();
        request = null;
        mode = Mode.NONE;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }
}

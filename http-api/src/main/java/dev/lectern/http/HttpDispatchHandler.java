package dev.lectern.http;

import dev.lectern.core.log.LogContext;
import dev.lectern.core.log.RequestIds;
import dev.lectern.core.netty.ChannelAttrs;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.core.netty.PipelineNames;
import dev.lectern.core.http.internal.RawHttpContent;
import dev.lectern.core.http.internal.RawHttpResponse;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST edge of one connection: request ids, CORS, routing (404 / 405 with {@code Allow}), body limits (413),
 * content types (415), then the decorators and the route's handler, whose {@link ApiResponse} it writes. Bodies are
 * copied out of Netty's buffers here; handlers see plain Java. Streaming routes get the raw request (see
 * {@link StreamingRoute}).
 *
 * <p>One request at a time: while a request is handled, auto-read is off and pipelined requests wait in a small
 * bounded queue. Every request is logged to {@code dev.lectern.access} and timed in {@code http.server.requests}.
 * Keep-alive is decided here too: a connection closes after the response to a request that asked for it, after a
 * response whose end only the close can tell, and while the server drains; every such response says
 * {@code Connection: close}. A streaming handler's response may come as Netty's HTTP messages or, from the avatar
 * proxy, as {@link RawHttpResponse} and {@link RawHttpContent}, which get the same headers.
 */
public final class HttpDispatchHandler extends ChannelDuplexHandler {
    private static final Logger logger = LoggerFactory.getLogger(HttpDispatchHandler.class);
    private static final Logger access = LoggerFactory.getLogger("dev.lectern.access");
    private static final int MAX_QUEUED_MESSAGES = 64;
    private static final long LINGER_MILLIS = 2000;

    private enum Mode { NONE, AGGREGATE, DISCARD, STREAM_PENDING, STREAMING }

    private final HttpApp app;
    private final ArrayDeque<Object> queued = new ArrayDeque<>();
    private final ArrayDeque<Object> pendingStream = new ArrayDeque<>();

    // the request in progress
    private Mode mode = Mode.NONE;
    private HttpRequest request;
    private String method;
    private String path;
    private String requestId;
    private String origin;
    private String template;
    private long startNanos;
    private CompositeByteBuf body;
    private boolean bodyDone;
    private boolean responseDone;
    private boolean accounted;
    private boolean closeAfterResponse;
    private boolean lingering;
    private Route pendingRoute;
    private ApiRequest pendingRequest;
    private int streamStatus = 200;
    private String remoteAddress;
    /** The streaming handler of the request in progress, and the route that made it. */
    private ChannelHandler streamHandler;
    private StreamingRoute streamRoute;
    /** A streaming handler left installed after its request ({@link StreamingRoute#keepInstalled}), and its route. */
    private ChannelHandler parked;
    private StreamingRoute parkedBy;
    /** The request timer this connection used last, and what it times: a keep-alive client repeats itself. */
    private Timer timer;
    private String timerMethod;
    private String timerTemplate;
    private int timerStatus;
    /** Between a channelRead and its channelReadComplete: a handler given messages now will see the complete too. */
    private boolean reading;

    public HttpDispatchHandler(HttpApp app) {
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
        if (lingering) {
            ReferenceCountUtil.release(msg); // the rest of a body already answered; the connection is closing
            return;
        }
        if (!(msg instanceof HttpRequest) && !(msg instanceof HttpContent)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!queued.isEmpty() || (request != null && msg instanceof HttpRequest)) {
            // A pipelined request (and everything after it) waits until the current one has been answered.
            if (queued.size() >= MAX_QUEUED_MESSAGES) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            queued.add(msg);
            ctx.channel().config().setAutoRead(false); // the rest waits in the socket, not here
            return;
        }
        process(ctx, msg);
    }

    private void process(ChannelHandlerContext ctx, Object msg) {
        if (request == null && !(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg); // stray content after a request that was already answered
            return;
        }
        try (LogContext ignored = LogContext.push(requestId)) {
            if (msg instanceof HttpRequest r) {
                onRequest(ctx, r);
            }
            if (msg instanceof HttpContent c) {
                onContent(ctx, c);
            }
        }
    }

    private void onRequest(ChannelHandlerContext ctx, HttpRequest r) {
        request = r;
        startNanos = System.nanoTime();
        requestId = RequestIds.fromHeader(r.headers().get(RequestIds.HEADER));
        method = r.method().name();
        origin = r.headers().get(HttpHeaderNames.ORIGIN);
        template = "UNMATCHED";
        bodyDone = false;
        responseDone = false;
        accounted = false;
        closeAfterResponse = !HttpUtil.isKeepAlive(r);
        app.inFlightCounter().incrementAndGet();
        ctx.channel().attr(ChannelAttrs.REQUEST_ID).set(requestId);

        if (r.decoderResult().isFailure()) {
            Throwable cause = r.decoderResult().cause();
            path = "-";
            int status = cause instanceof TooLongHttpLineException ? 414
                    : cause instanceof TooLongHttpHeaderException ? 431
                    : cause instanceof TooLongFrameException ? 413 : 400;
            String code = status == 400 ? "bad_request" : status == 414 ? "uri_too_long"
                    : status == 431 ? "headers_too_large" : "payload_too_large";
            respondEarly(ctx, ErrorMapper.error(status, code, "malformed HTTP request", requestId), true);
            return;
        }
        Map<String, List<String>> query;
        try {
            String uri = r.uri();
            if (isPlainPath(uri)) {
                path = uri; // nothing to decode and no query: most API calls, and every proxied avatar call
                query = Map.of();
            } else {
                QueryStringDecoder qs = new QueryStringDecoder(uri);
                path = qs.path();
                query = qs.parameters();
            }
        } catch (IllegalArgumentException e) {
            path = "-";
            respondEarly(ctx, ErrorMapper.error(400, "bad_request", "malformed request URI", requestId), false);
            return;
        }
        Router.Match match = app.router().match(method, path);

        if (r.method().equals(HttpMethod.OPTIONS)) {
            List<String> allowed = match instanceof Router.MethodNotAllowed m ? m.allowed()
                    : match instanceof Router.Found f ? List.of(f.route().method(), "OPTIONS") : null;
            if (origin != null && r.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD)) {
                Map<String, String> h = app.cors().preflightHeaders(origin, allowed);
                if (h == null) {
                    respondEarly(ctx, ErrorMapper.error(403, "forbidden", "origin not allowed", requestId), false);
                } else {
                    ApiResponse resp = ApiResponse.noContent();
                    for (Map.Entry<String, String> e : h.entrySet()) {
                        resp = resp.withHeader(e.getKey(), e.getValue());
                    }
                    respondEarly(ctx, resp, false);
                }
                return;
            }
            if (allowed != null) {
                respondEarly(ctx, ApiResponse.noContent().withHeader("Allow", String.join(", ", allowed)), false);
                return;
            }
        }
        if (match instanceof Router.NotFound) {
            respondEarly(ctx, ErrorMapper.error(404, "not_found", "no route for " + method + " " + path, requestId),
                    false);
            return;
        }
        if (match instanceof Router.MethodNotAllowed m) {
            respondEarly(ctx, ErrorMapper.error(405, "method_not_allowed",
                    method + " is not allowed here; use " + String.join(", ", m.allowed()), requestId)
                    .withHeader("Allow", String.join(", ", m.allowed())), false);
            return;
        }
        Router.Found found = (Router.Found) match;
        Route route = found.route();
        template = route.template();
        ApiRequest apiRequest = new ApiRequest(method, path, query, found.pathParams(),
                Headers.of(r.headers()), null, remoteAddress(ctx), requestId, null);

        if (route.isStreaming()) {
            mode = Mode.STREAM_PENDING;
            if (hasBody(r)) {
                // the handler decides how fast the body arrives. Without a body there is nothing to hold back, and
                // leaving reading on saves two epoll_ctl calls per request (a proxied GET costs only a few more);
                // a pipelined request that arrives meanwhile turns it off (channelRead)
                ctx.channel().config().setAutoRead(false);
            }
            AtomicReference<ApiRequest> admitted = new AtomicReference<>(apiRequest);
            CompletionStage<ApiResponse> decision = app.invoke(route, apiRequest, admitted::set);
            decision.whenComplete((resp, err) -> onEventLoop(ctx,
                    () -> startStream(ctx, route, admitted.get(), resp, err)));
            return;
        }
        long length = HttpUtil.getContentLength(r, -1L);
        if (length > app.config().maxContentBytes()) {
            respondEarly(ctx, ErrorMapper.error(413, "payload_too_large",
                    "request body exceeds " + app.config().maxContentBytes() + " bytes", requestId), true);
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

    private void onContent(ChannelHandlerContext ctx, HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        switch (mode) {
            case AGGREGATE -> {
                ByteBuf content = c.content();
                if (body.readableBytes() + content.readableBytes() > app.config().maxContentBytes()) {
                    c.release();
                    releaseBody();
                    respondEarly(ctx, ErrorMapper.error(413, "payload_too_large",
                            "request body exceeds " + app.config().maxContentBytes() + " bytes", requestId), true);
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
                    "content type must be one of " + route.consumes(), requestId));
            return;
        }
        ApiRequest apiRequest = new ApiRequest(base.method(), base.path(), base.query(), base.pathParams(),
                base.headers(), bytes, base.remoteAddress(), base.requestId(), null);
        String id = requestId;
        app.invoke(route, apiRequest).whenComplete((resp, err) -> onEventLoop(ctx, () -> {
            ApiResponse r = err == null ? resp : ErrorMapper.toResponse(err, id);
            respond(ctx, r);
        }));
    }

    /** A URI that is its own path: no query, no fragment, nothing percent-encoded. */
    private static boolean isPlainPath(String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#' || c == '%') {
                return false;
            }
        }
        return !uri.isEmpty() && uri.charAt(0) == '/';
    }

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

    private void startStream(ChannelHandlerContext ctx, Route route, ApiRequest apiRequest, ApiResponse resp,
                             Throwable err) {
        if (!ctx.channel().isActive() || request == null) {
            releasePending();
            return;
        }
        if (err != null || resp != HttpApp.TAKEOVER) {
            ApiResponse r = err != null ? ErrorMapper.toResponse(err, requestId) : resp;
            mode = Mode.DISCARD;
            releasePending();
            closeAfterResponse |= !bodyDone;
            respond(ctx, r);
            if (!bodyDone) {
                ctx.channel().config().setAutoRead(true);
            }
            return;
        }
        ChannelHandler handler;
        StreamingRoute streaming = route.streaming();
        try {
            handler = streaming.handler(apiRequest, parkedBy == streaming ? parked : null);
        } catch (Throwable t) {
            mode = Mode.DISCARD;
            releasePending();
            closeAfterResponse |= !bodyDone;
            respond(ctx, ErrorMapper.toResponse(t, requestId));
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
        streamRoute = streaming;
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

    private void removeParked(ChannelHandlerContext ctx) {
        ChannelHandler h = parked;
        parked = null;
        parkedBy = null;
        if (h != null && ctx.pipeline().context(h) != null) {
            ctx.pipeline().remove(h);
        }
    }

    // --- outbound: watch the streaming handler's response to log and finish the request

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (mode == Mode.STREAMING && request != null) {
            boolean last;
            if (msg instanceof RawHttpResponse raw) {
                streamStatus = raw.status();
                decorate(raw::addHeader);
                last = raw.isLast();
            } else if (msg instanceof RawHttpContent raw) {
                last = raw.isLast();
            } else {
                if (msg instanceof HttpResponse r && r.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
                    streamStatus = r.status().code();
                    if (!HttpUtil.isKeepAlive(r) || !hasOwnLength(r)) {
                        closeAfterResponse = true; // the client can tell where the body ends only by the close
                    }
                    decorate(r.headers()::set);
                }
                last = msg instanceof LastHttpContent;
            }
            if (last) {
                // a connection that the request or the response said to close, or a server that is draining
                boolean close = closeAfterResponse || app.draining();
                ctx.write(msg, close ? promise.unvoid().addListener(ChannelFutureListener.CLOSE) : promise);
                finishAccounting(streamStatus);
                responseDone = true;
                maybeReset(ctx);
                return;
            }
        }
        ctx.write(msg, promise);
    }

    private static boolean hasOwnLength(HttpResponse r) {
        int status = r.status().code();
        return status == 204 || status == 304 || HttpUtil.isContentLengthSet(r) || HttpUtil.isTransferEncodingChunked(r);
    }

    /** The request id, the CORS headers for the request's origin, and {@code Connection: close} when it will close. */
    private void decorate(BiConsumer<String, String> header) {
        header.accept(RequestIds.HEADER, requestId);
        for (Map.Entry<String, String> e : app.cors().responseHeaders(origin).entrySet()) {
            header.accept(e.getKey(), e.getValue());
        }
        if (app.draining() || closeAfterResponse) {
            header.accept(HttpHeaderNames.CONNECTION.toString(), HttpHeaderValues.CLOSE.toString());
        }
    }

    // --- responses written by this handler

    /** Answers before the body has been read: the rest of the body is skipped, or the connection closed. */
    private void respondEarly(ChannelHandlerContext ctx, ApiResponse resp, boolean close) {
        mode = Mode.DISCARD;
        boolean hasBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        if (close || (hasBody && HttpUtil.getContentLength(request, Long.MAX_VALUE) > app.config().maxContentBytes())) {
            closeAfterResponse = true;
        }
        respond(ctx, resp);
    }

    /** An {@link ApiResponse} as a complete HTTP/1.1 response: status, content type, headers, length, body. */
    public static FullHttpResponse fullResponse(ApiResponse resp) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(resp.status()), Unpooled.wrappedBuffer(resp.body()));
        HttpHeaders h = r.headers();
        if (resp.contentType() != null) {
            h.set(HttpHeaderNames.CONTENT_TYPE, resp.contentType());
        }
        for (Map.Entry<String, String> e : resp.headers().entrySet()) {
            h.set(e.getKey(), e.getValue());
        }
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, resp.body().length);
        return r;
    }

    private void respond(ChannelHandlerContext ctx, ApiResponse resp) {
        if (request == null || responseDone) {
            return;
        }
        FullHttpResponse r = fullResponse(resp);
        decorate(r.headers()::set);
        boolean close = app.draining() || closeAfterResponse;
        responseDone = true;
        finishAccounting(resp.status(), resp.body().length);
        if (!ctx.channel().isActive()) {
            r.release();
            return;
        }
        if (close) {
            ctx.writeAndFlush(r).addListener(f -> lingerThenClose(ctx));
        } else {
            ctx.writeAndFlush(r);
            maybeReset(ctx);
        }
    }

    /**
     * Closes after an answer sent before the request body was read (413, a refused upload). Closing at once while the
     * client is still sending makes the kernel reset the connection, and the client may never read the answer; so,
     * like nginx's lingering close, the output is shut, the rest of the body is read and dropped for a short while,
     * and only then is the connection closed.
     */
    private void lingerThenClose(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (bodyDone || !ch.isActive() || !(ch instanceof DuplexChannel duplex)) {
            ctx.close();
            return;
        }
        lingering = true;
        duplex.shutdownOutput();
        ch.config().setAutoRead(true);
        ctx.executor().schedule(() -> {
            ctx.close();
        }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void finishAccounting(int status) {
        finishAccounting(status, -1);
    }

    private void finishAccounting(int status, long bytes) {
        if (accounted) {
            return;
        }
        accounted = true;
        app.inFlightCounter().decrementAndGet();
        long nanos = System.nanoTime() - startNanos;
        if (timer == null || !method.equals(timerMethod) || !template.equals(timerTemplate) || status != timerStatus) {
            timer = app.timer(method, template, status);
            timerMethod = method;
            timerTemplate = template;
            timerStatus = status;
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
        try (LogContext ignored = LogContext.push(requestId)) {
            access.atInfo()
                    .addKeyValue("method", method)
                    .addKeyValue("path", path)
                    .addKeyValue("status", status)
                    .addKeyValue("durationMicros", nanos / 1000)
                    .addKeyValue("bytes", bytes)
                    .log("{} {} {}", method, path, status);
        }
    }

    /** When both the request body and the response are done, gets ready for the next request on the connection. */
    private void maybeReset(ChannelHandlerContext ctx) {
        if (!bodyDone || !responseDone || request == null) {
            return;
        }
        if (mode == Mode.STREAMING) {
            ChannelHandler h = streamHandler;
            StreamingRoute by = streamRoute;
            streamHandler = null;
            streamRoute = null;
            if (h != null && by.keepInstalled(h) && ctx.pipeline().context(h) != null) {
                parked = h; // idle until the connection's next request on that route: no pipeline change per request
                parkedBy = by;
            } else if (ctx.pipeline().get(PipelineNames.HTTP_STREAM) != null) {
                ctx.pipeline().remove(PipelineNames.HTTP_STREAM);
            }
        }
        request = null;
        mode = Mode.NONE;
        if (closeAfterResponse || app.draining()) {
            ctx.channel().config().setAutoRead(false); // nothing more is read on a connection that is closing
            return;
        }
        ctx.channel().config().setAutoRead(true);
        while (!queued.isEmpty() && !(request != null && queued.peek() instanceof HttpRequest)) {
            process(ctx, queued.poll());
        }
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
    private String remoteAddress(ChannelHandlerContext ctx) {
        if (remoteAddress == null) {
            remoteAddress = remote(ctx.channel().remoteAddress());
        }
        return remoteAddress;
    }

    private static String remote(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(address);
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
        Object o;
        while ((o = queued.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
        if (request != null && !accounted) {
            finishAccounting(499);
        }
        request = null;
        mode = Mode.NONE;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }
}

package dev.lectern.media.netty;

import dev.lectern.core.json.Json;
import dev.lectern.core.netty.ChannelAttrs;
import dev.lectern.core.netty.ExpectedExceptions;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The browser-side leg of the avatar proxy, for one request: installed by the HTTP dispatcher for
 * {@code /api/webrtc/{path}} once the caller is known, it forwards the request to 127.0.0.1 at the caller's own
 * instance port (from the {@link BackendPool}, on this channel's event loop) and streams the answer back.
 *
 * <p>Backpressure both ways, with auto-read off on both legs: each leg is read again only after what it sent has
 * been flushed to the other leg and that leg is writable; when it is not, its writability change resumes the read.
 * Nothing is buffered beyond the write-buffer water marks. Failures before the first response byte are JSON errors:
 * 502 when the instance cannot be reached or hangs up, 504 when it does not answer within the route's timeout (long
 * for {@code /offer}, which builds the avatar session first). A failure mid-response closes the connection. Every
 * message is released or handed on, on every branch.
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(ProxyFrontendHandler.class);
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}");
    /** Request headers that are about this hop or this user, not for the avatar. */
    private static final List<CharSequence> DROPPED_REQUEST_HEADERS = List.of(HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE, HttpHeaderNames.HOST, HttpHeaderNames.AUTHORIZATION,
            HttpHeaderNames.COOKIE, HttpHeaderNames.EXPECT, "proxy-connection", "x-forwarded-for");
    /** Response headers that are about the avatar's hop or would override Lectern's CORS and cookies. */
    private static final List<CharSequence> DROPPED_RESPONSE_HEADERS = List.of(HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.TRAILER,
            HttpHeaderNames.UPGRADE, HttpHeaderNames.SET_COOKIE, "proxy-connection");

    private final BackendPool pool;
    private final int port;
    private final String path;
    private final long headerTimeoutMillis;

    private ChannelHandlerContext ctx;
    private final ArrayDeque<HttpContent> waiting = new ArrayDeque<>(2);
    private HttpRequest backendRequest;
    private Channel backend;
    private ProxyBackendHandler backendHandler;
    private long deadlineNanos;
    private boolean watched;
    private boolean requestDone;
    private boolean responseStarted;
    private boolean responseDone;
    private boolean failed;
    private boolean keepBackend;
    private boolean frontendReadPending;
    private boolean backendReadPending;

    /**
     * @param port the caller's instance port; the route has checked it belongs to the caller and the configured range
     * @param path the single path segment after {@code /api/webrtc/}, checked with {@link #isValidPath}
     */
    public ProxyFrontendHandler(BackendPool pool, int port, String path, long headerTimeoutMillis) {
        if (!isValidPath(path)) {
            throw new IllegalArgumentException("invalid avatar path");
        }
        this.pool = pool;
        this.port = port;
        this.path = path;
        this.headerTimeoutMillis = headerTimeoutMillis;
    }

    /** One plain path segment: letters, digits, {@code _ - .}, not starting with a dot; nothing else reaches the avatar. */
    public static boolean isValidPath(String path) {
        return path != null && PATH.matcher(path).matches();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    // ---------------------------------------------------------------- browser → avatar

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            onRequest(req);
            if (msg instanceof HttpContent c) {
                onContent(c);
            }
        } else if (msg instanceof HttpContent c) {
            onContent(c);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void onRequest(HttpRequest req) {
        String uri = "/" + path + rawQuery(req.uri());
        HttpRequest out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), uri);
        HttpHeaders h = out.headers();
        h.set(req.headers());
        for (CharSequence name : DROPPED_REQUEST_HEADERS) {
            h.remove(name);
        }
        String connectionTokens = req.headers().get(HttpHeaderNames.CONNECTION);
        if (connectionTokens != null) {
            for (String token : connectionTokens.split(",")) {
                h.remove(token.trim()); // headers named by Connection are hop-by-hop too
            }
        }
        h.set(HttpHeaderNames.HOST, "127.0.0.1:" + port);
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null) {
            h.set("x-forwarded-for", remote.getAddress().getHostAddress());
        }
        String requestId = ctx.channel().attr(ChannelAttrs.REQUEST_ID).get();
        if (requestId != null) {
            h.set("x-request-id", requestId);
        }
        backendRequest = out;
        pool.acquire(ctx.channel().eventLoop(), port).addListener(this::onAcquired);
    }

    private static String rawQuery(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return "";
        }
        int hash = uri.indexOf('#', q);
        return hash < 0 ? uri.substring(q) : uri.substring(q, hash);
    }

    private void onContent(HttpContent c) {
        if (c instanceof LastHttpContent) {
            requestDone = true;
        }
        if (failed) {
            c.release();
            return;
        }
        if (backend == null) {
            waiting.add(c); // not connected yet: no more is read until it is, so this holds at most one read
            return;
        }
        backend.write(c).addListener(CLOSE_BACKEND_ON_FAILURE);
    }

    private static final ChannelFutureListener CLOSE_BACKEND_ON_FAILURE = f -> {
        if (!f.isSuccess()) {
            f.channel().close();
        }
    };

    private void onAcquired(Future<? super Channel> f) {
        if (failed || !ctx.channel().isActive()) {
            if (f.isSuccess()) {
                ((Channel) f.getNow()).close();
            }
            releaseWaiting();
            return;
        }
        if (!f.isSuccess()) {
            logger.debug("avatar on port {} not reachable: {}", port, f.cause().toString());
            fail(HttpResponseStatus.BAD_GATEWAY, "bad_gateway", "the avatar instance is not reachable");
            return;
        }
        backend = (Channel) f.getNow();
        backendHandler = (ProxyBackendHandler) backend.pipeline().get(dev.lectern.core.netty.PipelineNames.PROXY_BACKEND);
        backendHandler.attach(this);
        backend.write(backendRequest).addListener(CLOSE_BACKEND_ON_FAILURE);
        backendRequest = null;
        HttpContent c;
        while ((c = waiting.poll()) != null) {
            backend.write(c).addListener(CLOSE_BACKEND_ON_FAILURE);
        }
        backend.flush();
        deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(headerTimeoutMillis);
        watched = true;
        pool.watch(ctx.channel().eventLoop(), this);
        readFrontendIfRoom();
        backend.read();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (backend != null && !failed) {
            backend.flush();
            readFrontendIfRoom();
        }
        ctx.fireChannelReadComplete();
    }

    private void readFrontendIfRoom() {
        if (requestDone) {
            return;
        }
        if (backend.isWritable()) {
            ctx.read();
        } else {
            frontendReadPending = true;
        }
    }

    void onBackendWritabilityChanged() {
        if (frontendReadPending && backend != null && backend.isWritable()) {
            frontendReadPending = false;
            readFrontendIfRoom();
        }
    }

    // ---------------------------------------------------------------- avatar → browser

    void onBackendRead(Object msg) {
        if (failed || responseDone) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse r) {
            if (r.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
                ReferenceCountUtil.release(msg); // 1xx: the final response follows
                return;
            }
            cancelTimeout();
            responseStarted = true;
            keepBackend = HttpUtil.isKeepAlive(r);
            prepareResponse(r);
        }
        if (msg instanceof LastHttpContent) {
            responseDone = true;
            finishExchange();
            if (requestDone) {
                ctx.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            } else {
                // answered before the whole body arrived: the rest of the body is not worth reading
                ctx.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        ctx.write(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private void prepareResponse(HttpResponse r) {
        r.setProtocolVersion(HttpVersion.HTTP_1_1);
        HttpHeaders h = r.headers();
        for (CharSequence name : DROPPED_RESPONSE_HEADERS) {
            h.remove(name);
        }
        for (String name : h.names()) { // a copy: removing while iterating is safe
            if (name.regionMatches(true, 0, "access-control-", 0, 15)) {
                h.remove(name);
            }
        }
        if (!HttpUtil.isContentLengthSet(r) && !HttpUtil.isTransferEncodingChunked(r)
                && r.status().code() != 204 && r.status().code() != 304) {
            // the avatar ends its body by closing; the browser's connection stays usable with chunked encoding
            HttpUtil.setTransferEncodingChunked(r, true);
        }
    }

    void onBackendReadComplete() {
        if (failed || responseDone) {
            return;
        }
        ctx.flush();
        if (ctx.channel().isWritable()) {
            backend.read();
        } else {
            backendReadPending = true;
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (backendReadPending && backend != null && ctx.channel().isWritable()) {
            backendReadPending = false;
            backend.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** The response is complete: the backend connection goes back to the pool when it can serve another request. */
    private void finishExchange() {
        cancelTimeout();
        Channel b = backend;
        backend = null;
        if (b == null) {
            return;
        }
        backendHandler.detach();
        if (keepBackend && requestDone) {
            pool.release(b, port);
        } else {
            b.close();
        }
    }

    void onBackendClosed() {
        backend = null;
        cancelTimeout();
        if (responseDone || failed) {
            return;
        }
        if (!responseStarted) {
            fail(HttpResponseStatus.BAD_GATEWAY, "bad_gateway", "the avatar instance closed the connection");
        } else {
            failed = true;
            ctx.close(); // the status line is gone: a cut connection is the only honest signal left
        }
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    /** Called by the pool's sweeper once the response headers are later than the route's timeout. */
    void timedOut() {
        watched = false;
        if (responseStarted || failed) {
            return;
        }
        fail(HttpResponseStatus.GATEWAY_TIMEOUT, "gateway_timeout",
                "the avatar instance did not answer within " + headerTimeoutMillis + " ms");
    }

    // ---------------------------------------------------------------- failures and cleanup

    private void fail(HttpResponseStatus status, String code, String message) {
        failed = true;
        cancelTimeout();
        releaseWaiting();
        closeBackend();
        if (responseStarted) {
            ctx.close();
            return;
        }
        responseStarted = true;
        responseDone = true;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message);
        body.put("requestId", ctx.channel().attr(ChannelAttrs.REQUEST_ID).get());
        byte[] bytes = Json.writeBytes(body);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (!ctx.channel().isActive()) {
            r.release();
            return;
        }
        if (requestDone) {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } else {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void closeBackend() {
        Channel b = backend;
        backend = null;
        if (b != null) {
            backendHandler.detach();
            b.close();
        }
    }

    private void cancelTimeout() {
        if (watched) {
            watched = false;
            pool.unwatch(ctx.channel().eventLoop(), this);
        }
    }

    private void releaseWaiting() {
        HttpContent c;
        while ((c = waiting.poll()) != null) {
            c.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        abandon();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        abandon();
    }

    /** The browser went away (or the exchange is over): nothing more to forward. */
    private void abandon() {
        cancelTimeout();
        releaseWaiting();
        if (!responseDone) {
            failed = true;
        }
        closeBackend();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }
}

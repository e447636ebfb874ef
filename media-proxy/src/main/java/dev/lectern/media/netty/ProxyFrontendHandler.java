package dev.lectern.media.netty;

import dev.lectern.core.json.Json;
import dev.lectern.core.netty.ChannelAttrs;
import dev.lectern.core.netty.ExpectedExceptions;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
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
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The browser-side leg of the avatar proxy: installed by the HTTP dispatcher for {@code /api/webrtc/{path}} once the
 * caller is known, it forwards the request to 127.0.0.1 at the caller's own instance port (from the
 * {@link BackendPool}, on this channel's event loop) and streams the answer back. One instance serves one exchange at
 * a time; when an exchange has ended cleanly ({@link #isIdle()}) the dispatcher may leave it installed and hand it the
 * connection's next proxied request with {@link #reuse}, so a keep-alive connection costs one handler and one pipeline
 * change, not one per request.
 *
 * <p>Backpressure both ways. The browser's leg (auto-read off while the dispatcher hands it over) is read again only
 * after what it sent has been flushed to the avatar and the avatar's leg is writable. The avatar's leg reads by itself
 * (auto-read on: switching it off and on for every response would cost two {@code epoll_ctl} calls per request)
 * until a flush leaves the browser's leg unwritable; then auto-read goes off, and the browser's writability change
 * turns it back on. Nothing is buffered beyond the write-buffer water marks. What goes to the avatar during a read of
 * the browser's leg is flushed once, when that read is complete. Failures before the first response byte are JSON
 * errors: 502 when the instance cannot be reached or hangs up, 504 when it does not answer within the route's timeout
 * (long for {@code /offer}, which builds the avatar session first). A failure mid-response closes the connection.
 * Every message is released or handed on, on every branch.
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(ProxyFrontendHandler.class);
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    /** Request headers that are about this hop or this user, not for the avatar. */
    private static final AsciiString[] DROPPED_REQUEST_HEADERS = {HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE, HttpHeaderNames.HOST, HttpHeaderNames.AUTHORIZATION,
            HttpHeaderNames.COOKIE, HttpHeaderNames.EXPECT, AsciiString.cached("proxy-connection"), X_FORWARDED_FOR};
    /** Response headers that are about the avatar's hop or would override Lectern's CORS and cookies. */
    private static final AsciiString[] DROPPED_RESPONSE_HEADERS = {HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.TRAILER,
            HttpHeaderNames.UPGRADE, HttpHeaderNames.SET_COOKIE, AsciiString.cached("proxy-connection")};

    private final BackendPool pool;
    // the exchange's target: set by the constructor and by reuse
    private int port;
    private String path;
    private long headerTimeoutMillis;
    private String host;

    private ChannelHandlerContext ctx;
    private BackendPool.Loop loop;
    /** The browser's address for X-Forwarded-For, worked out once per connection; "" when it has none. */
    private String forwardedFor;
    private final ArrayDeque<HttpContent> waiting = new ArrayDeque<>(2);
    /** The avatar's request until it is written, with its body when that came in the same read. */
    private HttpRequest backendRequest;
    /** The avatar's response head until it is written, with the body when that came in the same read. */
    private HttpResponse heldResponse;
    private Channel backend;
    private ProxyBackendHandler backendHandler;
    private long deadlineNanos;
    private boolean connecting;
    private boolean watched;
    private boolean requestDone;
    private boolean responseStarted;
    private boolean responseDone;
    private boolean failed;
    private boolean keepBackend;
    private boolean frontendReadPending;
    private boolean backendReadPending;
    private boolean backendFlushPending;

    /**
     * @param port the caller's instance port; the route has checked it belongs to the caller and the configured range
     * @param path the single path segment after {@code /api/webrtc/}, checked with {@link #isValidPath}
     */
    public ProxyFrontendHandler(BackendPool pool, int port, String path, long headerTimeoutMillis) {
        this.pool = pool;
        target(port, path, headerTimeoutMillis);
    }

    private void target(int port, String path, long headerTimeoutMillis) {
        if (!isValidPath(path)) {
            throw new IllegalArgumentException("invalid avatar path");
        }
        if (host == null || this.port != port) {
            this.host = "127.0.0.1:" + port;
        }
        this.port = port;
        this.path = path;
        this.headerTimeoutMillis = headerTimeoutMillis;
    }

    /**
     * Whether the last exchange is over on both legs (the request read, the response written, no avatar connection,
     * connect or timer left), so that this handler can stay installed and serve the connection's next request.
     */
    public boolean isIdle() {
        return requestDone && responseDone && backend == null && !connecting && !watched && waiting.isEmpty();
    }

    /**
     * Gets this idle handler ready for the connection's next proxied request, to another target if need be; false
     * (and nothing changed) when it is not idle.
     */
    public boolean reuse(int port, String path, long headerTimeoutMillis) {
        if (!isIdle() || !isValidPath(path)) {
            return false;
        }
        target(port, path, headerTimeoutMillis);
        backendRequest = null;
        heldResponse = null;
        backendHandler = null;
        deadlineNanos = 0;
        requestDone = false;
        responseStarted = false;
        responseDone = false;
        failed = false;
        keepBackend = false;
        frontendReadPending = false;
        backendReadPending = false;
        backendFlushPending = false;
        return true;
    }

    /** One plain path segment: letters, digits, {@code _ - .}, not starting with a dot; nothing else reaches the avatar. */
    public static boolean isValidPath(String path) {
        // by hand: this runs twice per proxied request, where a regex match costs more than the rest of the check
        if (path == null || path.isEmpty() || path.length() > 64 || path.charAt(0) == '.') {
            return false;
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
                    || c == '.')) {
                return false;
            }
        }
        return true;
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
            if (msg instanceof LastHttpContent c) { // a whole request in one message: its body goes on alone
                onContent(new DefaultLastHttpContent(c.content()));
            } else if (msg instanceof HttpContent c) {
                onContent(new DefaultHttpContent(c.content()));
            }
        } else if (msg instanceof HttpContent c) {
            onContent(c);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * Turns the browser's request into the avatar's in place (the decoder made it for this exchange alone): copying
     * it would validate every header name again on every request.
     */
    private void onRequest(HttpRequest req) {
        HttpHeaders h = req.headers();
        String connectionTokens = h.get(HttpHeaderNames.CONNECTION);
        if (connectionTokens != null) {
            for (String token : connectionTokens.split(",")) {
                String name = token.trim();
                // headers named by Connection are hop-by-hop too, but never the ones that frame the body
                if (!name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("transfer-encoding")) {
                    h.remove(name);
                }
            }
        }
        drop(h, DROPPED_REQUEST_HEADERS, false);
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        req.setUri(uri(req.uri()));
        h.set(HttpHeaderNames.HOST, host);
        String forwarded = forwardedFor();
        if (!forwarded.isEmpty()) {
            h.set(X_FORWARDED_FOR, forwarded);
        }
        String requestId = ctx.channel().attr(ChannelAttrs.REQUEST_ID).get();
        if (requestId != null) {
            h.set(X_REQUEST_ID, requestId);
        }
        backendRequest = req instanceof HttpContent
                ? new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri(), h) : req;
        Channel idle = pool.pollIdle(loop(), port);
        if (idle != null) {
            attach(idle); // flushed when this read is complete
        } else {
            connecting = true;
            pool.connect(ctx.channel().eventLoop(), port).addListener(this::onConnected);
        }
    }

    /** The pool's part for this connection's event loop, found once per connection. */
    private BackendPool.Loop loop() {
        if (loop == null) {
            loop = pool.loop(ctx.channel().eventLoop());
        }
        return loop;
    }

    private String forwardedFor() {
        if (forwardedFor == null) {
            forwardedFor = ctx.channel().remoteAddress() instanceof InetSocketAddress remote
                    && remote.getAddress() != null ? remote.getAddress().getHostAddress() : "";
        }
        return forwardedFor;
    }

    /** The avatar's URI: the one path segment and the browser's query, unchanged. */
    private String uri(String browserUri) {
        int q = browserUri.indexOf('?');
        if (q < 0) {
            return "/".concat(path);
        }
        int hash = browserUri.indexOf('#', q);
        return "/" + path + (hash < 0 ? browserUri.substring(q) : browserUri.substring(q, hash));
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
        writeContent(c);
        backendFlushPending = true;
    }

    /** A body part to the avatar, with the request ahead of it if that is still held. */
    private void writeContent(HttpContent c) {
        HttpRequest head = backendRequest;
        if (head != null) {
            backendRequest = null;
            if (c instanceof LastHttpContent last) {
                // the whole request in one read, as for every GET: one message through the pipeline, not two
                backend.write(new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                        last.content(), head.headers(), last.trailingHeaders()), backend.voidPromise());
                return;
            }
            backend.write(head, backend.voidPromise());
        }
        backend.write(c, backend.voidPromise()); // a failed write closes the backend (its exceptionCaught)
    }

    /** A new avatar connection is up (a later task: not inside a read, so it flushes itself). */
    private void onConnected(Future<? super Channel> f) {
        connecting = false;
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
        attach((Channel) f.getNow());
        flushBackend();
    }

    /** Sends the request (and what has arrived of its body) on this avatar connection; the caller flushes. */
    private void attach(Channel ch) {
        backend = ch;
        backendHandler = BackendPool.handler(ch);
        backendHandler.attach(this);
        HttpContent c;
        while ((c = waiting.poll()) != null) {
            writeContent(c);
        }
        backendFlushPending = true; // the request itself, if no body part came with it, goes out at the flush
        deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(headerTimeoutMillis);
        watched = true;
        loop().watch(this);
    }

    /** One flush for everything written to the avatar since the last; then the browser may send more if there is room. */
    private void flushBackend() {
        if (backendRequest != null) {
            backend.write(backendRequest, backend.voidPromise()); // no body part came with it in this read
            backendRequest = null;
            backendFlushPending = true;
        }
        if (backendFlushPending) {
            backendFlushPending = false;
            backend.flush();
        }
        readFrontendIfRoom(); // the backend reads by itself (auto-read) until the browser's leg is full
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (backend != null && !failed) {
            flushBackend();
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
            if (!(msg instanceof HttpContent)) {
                heldResponse = r; // written with the body's first part, or when this read is complete
                return;
            }
        }
        if (heldResponse != null) {
            HttpResponse head = heldResponse;
            heldResponse = null;
            if (msg instanceof LastHttpContent last) {
                // the whole answer in one read, as for nearly every avatar call: one message through the
                // pipeline and the encoder instead of two
                msg = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), last.content(),
                        head.headers(), last.trailingHeaders());
            } else {
                ctx.write(head, ctx.voidPromise());
            }
        }
        if (msg instanceof LastHttpContent) {
            responseDone = true;
            finishExchange();
            if (requestDone) {
                ctx.writeAndFlush(msg, ctx.voidPromise()); // a failed write reaches exceptionCaught, which closes
            } else {
                // answered before the whole body arrived: the rest of the body is not worth reading
                ctx.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        // a failed write reaches exceptionCaught, which closes: no promise and listener per chunk
        ctx.write(msg, ctx.voidPromise());
        if (!backendReadPending && !ctx.channel().isWritable()) {
            // stop this read batch here, not after up to 16 more buffers; the writability change resumes it
            backendReadPending = true;
            backend.config().setAutoRead(false);
        }
    }

    private void prepareResponse(HttpResponse r) {
        r.setProtocolVersion(HttpVersion.HTTP_1_1);
        HttpHeaders h = r.headers();
        drop(h, DROPPED_RESPONSE_HEADERS, true);
        if (!HttpUtil.isContentLengthSet(r) && !HttpUtil.isTransferEncodingChunked(r)
                && r.status().code() != 204 && r.status().code() != 304) {
            // the avatar ends its body by closing; the browser's connection stays usable with chunked encoding
            HttpUtil.setTransferEncodingChunked(r, true);
        }
    }

    /**
     * Removes the headers named in {@code dropped}, and with {@code accessControl} every {@code access-control-*}
     * one, in one pass over the headers there are: a message carries a handful, the lists name up to a dozen, and a
     * removal per listed name would hash each of them on every request. Collected first, as removing while iterating
     * is not allowed.
     */
    private static void drop(HttpHeaders h, AsciiString[] dropped, boolean accessControl) {
        List<CharSequence> found = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (isOneOf(name, dropped)
                    || accessControl && AsciiString.regionMatches(name, true, 0, "access-control-", 0, 15)) {
                found = found == null ? new ArrayList<>(4) : found;
                found.add(name);
            }
        }
        if (found != null) {
            for (CharSequence name : found) {
                h.remove(name);
            }
        }
    }

    private static boolean isOneOf(CharSequence name, AsciiString[] names) {
        int length = name.length();
        for (AsciiString n : names) {
            if (n.length() == length && n.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    void onBackendReadComplete() {
        if (failed || responseDone) {
            return;
        }
        if (heldResponse != null) {
            ctx.write(heldResponse, ctx.voidPromise());
            heldResponse = null;
        }
        ctx.flush();
        if (!backendReadPending && !ctx.channel().isWritable()) {
            backendReadPending = true;
            backend.config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (backendReadPending && backend != null && ctx.channel().isWritable()) {
            backendReadPending = false;
            backend.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** The response is complete: the backend connection goes back to the pool when it can serve another request. */
    private void finishExchange() {
        cancelTimeout();
        Channel b = backend;
        backend = null;
        backendFlushPending = false;
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
        backendFlushPending = false;
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
        backendFlushPending = false;
        if (b != null) {
            backendHandler.detach();
            b.close();
        }
    }

    private void cancelTimeout() {
        if (watched) {
            watched = false;
            loop().unwatch(this);
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

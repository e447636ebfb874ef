package dev.lectern.media.proxy.internal;

import dev.lectern.core.netty.ChannelAttrs;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.core.netty.JsonErrors;
import dev.lectern.core.http.internal.RawHttpContent;
import dev.lectern.core.http.internal.RawHttpResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
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
 * <p>Both legs carry bytes, not header objects. The avatar's request is written straight from the browser's decoded
 * request (whose headers the server's decoder has checked), without the hop-by-hop and credential headers, its body
 * passed on as it came (chunked again when the browser sent it chunked). The avatar's response is read by an
 * {@link AvatarResponseParser} on the avatar's leg and goes to the browser as a {@link RawHttpResponse} and
 * {@link RawHttpContent}s, which the server's encoder writes as they are: nothing is decoded into headers and encoded
 * again. A response that arrives whole goes on as one message, usually one buffer.
 *
 * <p>Backpressure both ways. The browser's leg (auto-read off while the dispatcher hands it over) is read again only
 * after what it sent has been flushed to the avatar and the avatar's leg is writable. The avatar's leg reads by itself
 * (auto-read on: switching it off and on for every response would cost two {@code epoll_ctl} calls per request)
 * until a write leaves the browser's leg unwritable; then auto-read goes off, and the browser's writability change
 * turns it back on. Nothing is buffered beyond the write-buffer water marks. What goes to the avatar during a read of
 * the browser's leg is flushed once, when that read is complete. Failures before the first response byte are JSON
 * errors: 502 when the instance cannot be reached, hangs up or sends something that is not an HTTP response, 504 when
 * it does not answer within the route's timeout (long for {@code /offer}, which builds the avatar session first). A
 * failure mid-response closes the connection. Every buffer is released or handed on, on every branch.
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(ProxyFrontendHandler.class);
    /** Request headers that are about this hop or this user, or that the proxy sets itself, not for the avatar. */
    private static final AsciiString[] DROPPED_REQUEST_HEADERS = {HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE, HttpHeaderNames.HOST, HttpHeaderNames.AUTHORIZATION,
            HttpHeaderNames.COOKIE, HttpHeaderNames.EXPECT, AsciiString.cached("proxy-connection"),
            AsciiString.cached("x-forwarded-for"), AsciiString.cached("x-request-id")};
    /** A request whose body part is at most this big goes to the avatar in one buffer with its head. */
    private static final int COPY_LIMIT_BYTES = 4096;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};

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
    /** The avatar's request head until it is written, with the body's first part when that came in the same read. */
    private ByteBuf requestHead;
    private boolean headRequest;
    private boolean chunkedRequest;
    /** The response head until it is written, with the body's first part when that comes in the same read. */
    private ByteBuf heldHead;
    private int heldStatus;
    private Channel backend;
    private ProxyBackendHandler backendHandler;
    private long deadlineNanos;
    private boolean connecting;
    private boolean watched;
    /** The pool's list of watched exchanges on this loop ({@link BackendPool.Loop#watch}). */
    ProxyFrontendHandler watchPrev;
    ProxyFrontendHandler watchNext;
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
        releaseHeld();
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
        }
        if (msg instanceof HttpContent c) {
            onContent(c);
        } else if (!(msg instanceof HttpRequest)) {
            ctx.fireChannelRead(msg);
        }
    }

    private void onRequest(HttpRequest req) {
        headRequest = HttpMethod.HEAD.equals(req.method());
        chunkedRequest = HttpUtil.isTransferEncodingChunked(req);
        requestHead = encodeRequestHead(req);
        Channel idle = pool.pollIdle(loop(), port);
        if (idle != null) {
            attach(idle); // flushed when this read is complete
        } else {
            connecting = true;
            pool.connect(ctx.channel().eventLoop(), port).addListener(this::onConnected);
        }
    }

    /**
     * The avatar's request line and headers, with the blank line: the browser's method, the one path segment and the
     * browser's query, HTTP/1.1; the browser's headers except the dropped ones and those its {@code Connection} header
     * names (never the two that frame the body); then {@code Host}, {@code X-Forwarded-For} and {@code X-Request-Id}.
     */
    private ByteBuf encodeRequestHead(HttpRequest req) {
        HttpHeaders h = req.headers();
        String connectionTokens = h.get(HttpHeaderNames.CONNECTION);
        ByteBuf out = ctx.alloc().buffer(512);
        out.writeCharSequence(req.method().name(), StandardCharsets.US_ASCII);
        out.writeByte(' ').writeByte('/');
        out.writeCharSequence(path, StandardCharsets.US_ASCII);
        String uri = req.uri();
        int q = uri.indexOf('?');
        if (q >= 0) {
            int hash = uri.indexOf('#', q);
            out.writeCharSequence(hash < 0 ? uri.substring(q) : uri.substring(q, hash), StandardCharsets.ISO_8859_1);
        }
        out.writeCharSequence(" HTTP/1.1\r\n", StandardCharsets.US_ASCII);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (isOneOf(name, DROPPED_REQUEST_HEADERS)
                    || connectionTokens != null && isNamedIn(name, connectionTokens)) {
                continue;
            }
            writeHeader(out, name, e.getValue());
        }
        writeHeader(out, HttpHeaderNames.HOST, host);
        String forwarded = forwardedFor();
        if (!forwarded.isEmpty()) {
            writeHeader(out, "x-forwarded-for", forwarded);
        }
        String requestId = ctx.channel().attr(ChannelAttrs.REQUEST_ID).get();
        if (requestId != null) {
            writeHeader(out, "x-request-id", requestId);
        }
        out.writeBytes(CRLF);
        return out;
    }

    private static void writeHeader(ByteBuf out, CharSequence name, CharSequence value) {
        out.writeCharSequence(name, StandardCharsets.ISO_8859_1);
        out.writeByte(':').writeByte(' ');
        out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
        out.writeBytes(CRLF);
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

    /**
     * Whether the {@code Connection} header names this header, which makes it hop-by-hop too; never the two that
     * frame the body.
     */
    private static boolean isNamedIn(CharSequence name, String connectionTokens) {
        if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)
                || AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)) {
            return false;
        }
        int length = name.length();
        int i = 0;
        int n = connectionTokens.length();
        while (i < n) {
            int end = connectionTokens.indexOf(',', i);
            if (end < 0) {
                end = n;
            }
            int s = i;
            int e = end;
            while (s < e && (connectionTokens.charAt(s) == ' ' || connectionTokens.charAt(s) == '\t')) {
                s++;
            }
            while (e > s && (connectionTokens.charAt(e - 1) == ' ' || connectionTokens.charAt(e - 1) == '\t')) {
                e--;
            }
            if (e - s == length && AsciiString.regionMatches(connectionTokens, true, s, name, 0, length)) {
                return true;
            }
            i = end + 1;
        }
        return false;
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

    /** A body part to the avatar, with the request head ahead of it if that is still held; the caller flushes. */
    private void writeContent(HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        ByteBuf data = c.content(); // handed on or released below
        ByteBuf head = requestHead;
        requestHead = null;
        if (chunkedRequest) {
            if (head != null) {
                backend.write(head, backend.voidPromise());
            }
            int n = data.readableBytes();
            if (n > 0) {
                ByteBuf size = backend.alloc().buffer(12);
                size.writeCharSequence(Integer.toHexString(n), StandardCharsets.US_ASCII);
                size.writeBytes(CRLF);
                backend.write(size, backend.voidPromise());
                backend.write(data, backend.voidPromise());
                backend.write(Unpooled.wrappedBuffer(CRLF), backend.voidPromise());
            } else {
                data.release();
            }
            if (last) {
                backend.write(Unpooled.wrappedBuffer(LAST_CHUNK), backend.voidPromise()); // trailers are not passed
            }
            return;
        }
        if (head != null && data.readableBytes() <= COPY_LIMIT_BYTES) {
            // the whole request, as for nearly every avatar call: one buffer, one write
            head.writeBytes(data);
            data.release();
            backend.write(head, backend.voidPromise());
            return;
        }
        if (head != null) {
            backend.write(head, backend.voidPromise());
        }
        // a failed write closes the backend (its exceptionCaught)
        backend.write(data, backend.voidPromise());
    }

    /** A new avatar connection is up (a later task: not inside a read, so it flushes itself). */
    private void onConnected(Future<? super Channel> f) {
        connecting = false;
        if (failed || !ctx.channel().isActive()) {
            if (f.isSuccess()) {
                ((Channel) f.getNow()).close();
            }
            releaseHeld();
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
        backendHandler.attach(this, headRequest);
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
        if (requestHead != null) {
            backend.write(requestHead, backend.voidPromise()); // no body part came with it in this read
            requestHead = null;
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

    /** The avatar's final response head, rebuilt for the browser (taken over). */
    void onBackendHead(int status, ByteBuf head, boolean keepAlive, boolean complete) {
        if (failed || responseDone) {
            head.release();
            return;
        }
        cancelTimeout();
        responseStarted = true;
        keepBackend = keepAlive;
        if (complete) {
            endResponse(new RawHttpResponse(status, head, Unpooled.EMPTY_BUFFER, true));
            return;
        }
        heldHead = head; // written with the body's first part, or when this read is complete
        heldStatus = status;
    }

    /** Body bytes framed for the browser (taken over); {@code complete} ends the response. */
    void onBackendBody(ByteBuf part, boolean complete) {
        if (failed || responseDone) {
            part.release();
            return;
        }
        Object msg;
        if (heldHead != null) {
            // the head and the body in one read, as for nearly every avatar call: one message, one buffer
            msg = new RawHttpResponse(heldStatus, heldHead, part, complete);
            heldHead = null;
        } else {
            msg = new RawHttpContent(part, complete);
        }
        if (complete) {
            endResponse(msg);
            return;
        }
        // a failed write reaches exceptionCaught, which closes: no promise and listener per part
        ctx.write(msg, ctx.voidPromise());
        pauseBackendIfFull();
    }

    /** Writes the response's last message and lets the avatar connection go. */
    private void endResponse(Object last) {
        responseDone = true;
        finishExchange();
        if (requestDone) {
            ctx.writeAndFlush(last, ctx.voidPromise()); // a failed write reaches exceptionCaught, which closes
        } else {
            // answered before the whole body arrived: the rest of the body is not worth reading
            ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
        }
    }

    void onBackendReadComplete() {
        if (failed || responseDone) {
            return;
        }
        if (heldHead != null) {
            ctx.write(new RawHttpResponse(heldStatus, heldHead, Unpooled.EMPTY_BUFFER, false), ctx.voidPromise());
            heldHead = null;
        }
        ctx.flush();
        pauseBackendIfFull();
    }

    /** Stops reading the avatar while the browser's leg is full; the writability change resumes it. */
    private void pauseBackendIfFull() {
        if (!backendReadPending && backend != null && !ctx.channel().isWritable()) {
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

    /** The avatar sent something that is not an HTTP response (its connection is closed already). */
    void onBackendInvalid() {
        backendLost("the avatar instance sent an invalid response");
    }

    void onBackendClosed() {
        backendLost("the avatar instance closed the connection");
    }

    private void backendLost(String message) {
        backend = null;
        backendFlushPending = false;
        cancelTimeout();
        if (responseDone || failed) {
            return;
        }
        if (!responseStarted) {
            fail(HttpResponseStatus.BAD_GATEWAY, "bad_gateway", message);
        } else {
            failed = true;
            releaseHeld();
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
        releaseHeld();
        releaseWaiting();
        closeBackend();
        if (responseStarted) {
            ctx.close();
            return;
        }
        responseStarted = true;
        responseDone = true;
        FullHttpResponse r = JsonErrors.jsonError(status.code(), code, message,
                ctx.channel().attr(ChannelAttrs.REQUEST_ID).get());
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

    /** Releases the request and response heads that were not written. */
    private void releaseHeld() {
        if (requestHead != null) {
            requestHead.release();
            requestHead = null;
        }
        if (heldHead != null) {
            heldHead.release();
            heldHead = null;
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
        releaseHeld();
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

package dev.lectern.ai.llm.internal;

import dev.lectern.core.netty.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.internal.ThreadExecutorMap;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * Streams one HTTP/1.1 POST per call, on a Netty channel registered with the event loop the caller prefers: the model's
 * answer is read, parsed and passed on in the same thread that writes it to the browser, with no hand-off between
 * threads (a hop costs a wake-up, and on a busy machine a wait for a core). Callers without a channel of their own
 * get a loop of this client's small group.
 *
 * <p>Connections are kept alive and reused, per event loop and per scheme, host and port: a turn that finds an idle
 * connection on its loop skips the TCP and TLS handshakes (against a provider across the internet, two or three round
 * trips before the first token). A connection goes back to its loop's pool only when its response ended normally and
 * the server did not ask to close; it is closed after {@link #IDLE_MILLIS} unused, beyond {@link #MAX_IDLE_PER_HOST}
 * idle per loop and host, and when the call is cancelled (a cancelled answer's connection is never reused). A request
 * written on a pooled connection that the server had meanwhile closed (it closes, or resets, before any byte of a
 * response) is sent once more on a new connection: the server never read it.
 *
 * <p>A call's reading switch and cancel act on its connection only while the call owns it: once the response has
 * ended and the connection serves another call, they do nothing. TLS (JDK provider, SNI, hostname verification) for
 * {@code https}. The host name is resolved on the calling thread, which therefore must not be an event loop. The given
 * loop must come from {@link EventLoops} (same transport).
 */
public final class StreamingHttpClient implements AutoCloseable {
    /** How long an idle connection is kept: below the idle timeouts of providers' front ends (60 s and more). */
    public static final long IDLE_MILLIS = 30_000;
    /** Idle connections kept per event loop and host. */
    public static final int MAX_IDLE_PER_HOST = 32;
    private static final int MAX_INITIAL_LINE = 8192;
    private static final int MAX_HEADERS = 32 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    private final EventLoopGroup group;
    private final SslContext ssl;
    private final int connectTimeoutMillis;
    /** Idle connections by loop, then by {@code scheme://host:port}; each inner map is touched on its loop only. */
    private final Map<EventLoop, Map<String, ArrayDeque<Connection>>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** What one call hears, always on the call's event loop; exactly one of {@link #onEnd} and {@link #onError}. */
    public interface Handler {
        /** The call is under way (before the request is written): for backpressure and cancellation. */
        default void onConnected(Cancellable call) {}

        void onResponse(int status);

        /** A piece of the body; only valid during the call (copy what you keep). */
        void onContent(ByteBuf content);

        void onEnd();

        /** Connection refused, timed out, reset, a TLS failure, or the body ended early. */
        void onError(Throwable cause);
    }

    public StreamingHttpClient(int connectTimeoutMillis, int threads) {
        this(connectTimeoutMillis, threads, defaultSsl());
    }

    /** With a TLS context of the caller's (e.g. trusting a private CA). */
    public StreamingHttpClient(int connectTimeoutMillis, int threads, SslContext ssl) {
        this.group = EventLoops.newGroup(threads, "lectern-llm");
        this.ssl = ssl;
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    private static SslContext defaultSsl() {
        try {
            return SslContextBuilder.forClient().sslProvider(SslProvider.JDK).build();
        } catch (SSLException e) {
            throw new IllegalStateException("no TLS client context", e);
        }
    }

    /** A call in flight. Both methods may be called from any thread, and do nothing once the response has ended. */
    public interface Cancellable {
        /** Closes the connection at once (also while it is being made); the handler may still hear an error. */
        void cancel();

        /**
         * Reads the response, or pauses reading it (TCP backpressure), as {@code paused} says when the task runs on
         * the call's loop (at once when called there): of several calls, the last to run applies the current wish.
         */
        void readUnless(BooleanSupplier paused);
    }

    /**
     * POSTs {@code body} to {@code uri} on {@code preferred} when it is an event loop (else on one of this client's),
     * on an idle kept-alive connection of that loop when there is one. Failures to resolve or connect reach the
     * handler.
     */
    public Cancellable post(URI uri, Map<String, String> headers, byte[] body, Executor preferred, Handler handler) {
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        String host = uri.getHost();
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        EventLoop target = preferred instanceof EventLoop loop ? loop : group.next();
        if (ThreadExecutorMap.currentExecutor() != null) {
            throw new IllegalStateException("post() resolves the host: call it off the event loops");
        }
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            target.execute(() -> handler.onError(e));
            return new Cancellable() {
                @Override
                public void cancel() {}

                @Override
                public void readUnless(BooleanSupplier paused) {}
            };
        }
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String hostHeader = uri.getPort() > 0 ? host + ":" + port : host;
        String key = (tls ? "https://" : "http://") + hostHeader + "/" + address.getAddress().getHostAddress();
        Call call = new Call(target, key, address, tls, host, port, path, hostHeader, headers, body, handler);
        target.execute(call::start);
        return call;
    }

    /** On the loop: an open idle connection for {@code key}, most recently used first, or null. */
    private Connection takeIdle(EventLoop loop, String key) {
        Map<String, ArrayDeque<Connection>> byHost = idle.get(loop);
        ArrayDeque<Connection> free = byHost == null ? null : byHost.get(key);
        Connection c;
        while (free != null && (c = free.pollFirst()) != null) {
            c.idleSince(null);
            if (c.channel.isActive()) {
                return c;
            }
            c.channel.close();
        }
        return null;
    }

    /** On the loop: {@code c}'s response ended cleanly; it waits for the next call, or is closed. */
    private void release(Connection c) {
        Channel ch = c.channel;
        if (closed || !ch.isActive()) {
            ch.close();
            return;
        }
        ArrayDeque<Connection> free = idle.computeIfAbsent(c.loop, l -> new HashMap<>())
                .computeIfAbsent(c.key, k -> new ArrayDeque<>());
        if (free.size() >= MAX_IDLE_PER_HOST) {
            ch.close();
            return;
        }
        if (!ch.config().isAutoRead()) {
            ch.config().setAutoRead(true); // an idle connection reads, so that the server's close is seen
        }
        free.addFirst(c);
        c.idleSince(c.loop.schedule(() -> {
            if (free.remove(c)) {
                ch.close();
            }
        }, IDLE_MILLIS, TimeUnit.MILLISECONDS));
    }

    /** On the loop: {@code c} closed (or is being given up); it leaves the pool if it was idle there. */
    private void forget(Connection c) {
        c.idleSince(null);
        Map<String, ArrayDeque<Connection>> byHost = idle.get(c.loop);
        ArrayDeque<Connection> free = byHost == null ? null : byHost.get(c.key);
        if (free != null) {
            free.remove(c);
        }
    }

    /** One request and its response, on a pooled connection or a new one (and, at most once, a second new one). */
    private final class Call implements Cancellable {
        private final EventLoop loop;
        private final String key;
        private final InetSocketAddress address;
        private final boolean tls;
        private final String host;
        private final int port;
        private final String path;
        private final String hostHeader;
        private final Map<String, String> headers;
        private final byte[] body;
        private final Handler handler;
        // on the loop only, but for the two below
        private volatile boolean cancelled;
        private volatile BooleanSupplier paused;
        private Channel channel;
        private Connection connection;
        private boolean reused;
        private boolean responded;
        private boolean keepAlive;
        private boolean finished;
        private boolean announced;

        Call(EventLoop loop, String key, InetSocketAddress address, boolean tls, String host, int port, String path,
             String hostHeader, Map<String, String> headers, byte[] body, Handler handler) {
            this.loop = loop;
            this.key = key;
            this.address = address;
            this.tls = tls;
            this.host = host;
            this.port = port;
            this.path = path;
            this.hostHeader = hostHeader;
            this.headers = headers;
            this.body = body;
            this.handler = handler;
        }

        /** On the loop: an idle connection of this loop, else a new one. */
        void start() {
            if (cancelled) {
                fail(new ClosedChannelException());
                return;
            }
            Connection c = takeIdle(loop, key);
            if (c == null) {
                connect();
                return;
            }
            reused = true;
            attach(c);
        }

        private void connect() {
            reused = false;
            Bootstrap b = new Bootstrap()
                    .group(loop)
                    .channel(EventLoops.clientChannel())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (tls) {
                                SslHandler sslHandler = ssl.newHandler(ch.alloc(), host, port);
                                SSLEngine engine = sslHandler.engine();
                                SSLParameters params = engine.getSSLParameters();
                                params.setEndpointIdentificationAlgorithm("HTTPS");
                                engine.setSSLParameters(params);
                                ch.pipeline().addLast(sslHandler);
                            }
                            ch.pipeline().addLast(new HttpClientCodec(MAX_INITIAL_LINE, MAX_HEADERS, MAX_CHUNK));
                            ch.pipeline().addLast(new Connection(loop, key));
                        }
                    });
            ChannelFuture connect = b.connect(address);
            channel = connect.channel();
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    fail(f.cause());
                    return;
                }
                attach(connect.channel().pipeline().get(Connection.class));
            });
        }

        /** On the loop: the request goes out on {@code c}, which this call now owns. */
        private void attach(Connection c) {
            connection = c;
            channel = c.channel;
            c.current = this;
            if (!announced) {
                announced = true;
                handler.onConnected(this);
            }
            if (cancelled || finished) {
                channel.close();
                return;
            }
            applyReading();
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                    Unpooled.wrappedBuffer(body));
            request.headers()
                    .set(HttpHeaderNames.HOST, hostHeader)
                    .set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            headers.forEach(request.headers()::set);
            Channel ch = channel;
            ch.writeAndFlush(request).addListener(w -> {
                if (!w.isSuccess()) {
                    broken(c, w.cause());
                    ch.close();
                }
            });
        }

        /**
         * On the loop: {@code c} closed or failed under this call. Before any byte of a response on a reused
         * connection, the server closed it while idle and never read the request: once more on a new connection.
         */
        void broken(Connection c, Throwable cause) {
            if (c.current != this || finished) {
                return;
            }
            c.current = null;
            if (reused && !responded && !cancelled) {
                connect();
                return;
            }
            fail(cause);
        }

        void read(ChannelHandlerContext ctx, HttpObject msg) {
            if (finished) {
                return;
            }
            if (msg.decoderResult().isFailure()) {
                fail(msg.decoderResult().cause());
                ctx.close();
                return;
            }
            if (msg instanceof HttpResponse response) {
                responded = true;
                keepAlive = HttpUtil.isKeepAlive(response);
                handler.onResponse(response.status().code());
            }
            if (msg instanceof HttpContent content && !finished) {
                if (content.content().isReadable()) {
                    handler.onContent(content.content());
                }
                if (msg instanceof LastHttpContent && !finished) {
                    finished = true;
                    // decided before the handler hears the end: a cancel from then on is one of an ended call
                    boolean reuse = keepAlive && !cancelled;
                    Connection c = connection;
                    c.current = null;
                    handler.onEnd();
                    if (reuse) {
                        release(c);
                    } else {
                        ctx.close();
                    }
                }
            }
        }

        private void fail(Throwable cause) {
            if (!finished) {
                finished = true;
                handler.onError(cause);
            }
        }

        private void applyReading() {
            BooleanSupplier p = paused;
            Channel ch = channel;
            if (p == null || ch == null || finished || connection == null || connection.current != this) {
                return;
            }
            boolean read = !p.getAsBoolean();
            if (ch.config().isAutoRead() != read) {
                ch.config().setAutoRead(read);
            }
            if (read) {
                ch.read();
            }
        }

        @Override
        public void readUnless(BooleanSupplier paused) {
            this.paused = paused;
            if (loop.inEventLoop()) {
                applyReading();
            } else {
                loop.execute(this::applyReading);
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            Runnable close = () -> {
                Channel ch = channel;
                if (!finished && ch != null) {
                    ch.close();
                }
            };
            if (loop.inEventLoop()) {
                close.run();
            } else {
                try {
                    loop.execute(close);
                } catch (RejectedExecutionException e) {
                    // the loop is shutting down: its channels close with it
                }
            }
        }
    }

    /** A connection's last handler: hands what it reads to the call that owns it; with none, a read closes it. */
    private final class Connection extends SimpleChannelInboundHandler<HttpObject> {
        final EventLoop loop;
        final String key;
        Channel channel;
        Call current;
        private ScheduledFuture<?> idleTimer;

        Connection(EventLoop loop, String key) {
            this.loop = loop;
            this.key = key;
        }

        void idleSince(ScheduledFuture<?> timer) {
            if (idleTimer != null) {
                idleTimer.cancel(false);
            }
            idleTimer = timer;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            Call c = current;
            if (c == null) { // nothing is asked on an idle connection
                forget(this);
                ctx.close();
                return;
            }
            c.read(ctx, msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            forget(this);
            Call c = current;
            if (c != null) {
                c.broken(this, new IOException("the connection closed before the response ended"));
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Call c = current;
            if (c != null) {
                c.broken(this, cause);
            }
            forget(this);
            ctx.close();
        }
    }

    /** Closes the idle connections (on their loops), then this client's own loops. */
    @Override
    public void close() {
        closed = true;
        for (Map.Entry<EventLoop, Map<String, ArrayDeque<Connection>>> e : idle.entrySet()) {
            try {
                e.getKey().submit(() -> {
                    for (ArrayDeque<Connection> free : e.getValue().values()) {
                        Connection c;
                        while ((c = free.pollFirst()) != null) {
                            c.idleSince(null);
                            c.channel.close();
                        }
                    }
                }).awaitUninterruptibly(1, TimeUnit.SECONDS);
            } catch (RejectedExecutionException | io.netty.util.concurrent.BlockingOperationException ex) {
                // that loop is shutting down (its channels close with it), or this is it
            }
        }
        io.netty.util.concurrent.Future<?> done = group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        try {
            // wait for the loops to end, so that buffers in flight are released before close returns (a test class
            // that ended before its client's last buffer was freed was reported as leaking)
            done.awaitUninterruptibly(5, TimeUnit.SECONDS);
        } catch (io.netty.util.concurrent.BlockingOperationException e) {
            // closed from one of its own loops: it ends on its own
        }
    }
}

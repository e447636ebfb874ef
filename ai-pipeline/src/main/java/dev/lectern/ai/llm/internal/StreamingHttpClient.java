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
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
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
import java.util.Map;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * Streams one HTTP/1.1 POST per call, on a Netty channel registered with the event loop the caller prefers: the model's
 * answer is read, parsed and passed on in the same thread that writes it to the browser, with no hand-off between
 * threads (a hop costs a wake-up, and on a busy machine a wait for a core). Callers without a channel of their own
 * get a loop of this client's small group.
 *
 * <p>One connection per call ({@code Connection: close}): its channel is what backpressure pauses and cancellation
 * closes. TLS (JDK provider, SNI, hostname verification) for {@code https}. The host name is resolved on the calling
 * thread, which therefore must not be an event loop. The given loop must come from {@link EventLoops} (same
 * transport).
 */
public final class StreamingHttpClient implements AutoCloseable {
    private static final int MAX_INITIAL_LINE = 8192;
    private static final int MAX_HEADERS = 32 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    private final EventLoopGroup group;
    private final SslContext ssl;
    private final int connectTimeoutMillis;

    /** What one call hears, always on the call's event loop; exactly one of {@link #onEnd} and {@link #onError}. */
    public interface Handler {
        /** The connection is open (before the request is written): for backpressure and cancellation. */
        default void onConnected(Channel channel) {}

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

    /** A call in flight. */
    public interface Cancellable {
        /** Closes the connection at once (also while it is being made); the handler may still hear an error. */
        void cancel();
    }

    /**
     * POSTs {@code body} to {@code uri} on {@code preferred} when it is an event loop (else on one of this client's). Failures to resolve or connect
     * reach the handler.
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
            return () -> { };
        }
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String hostHeader = uri.getPort() > 0 ? host + ":" + port : host;
        Call call = new Call(handler);
        Bootstrap b = new Bootstrap()
                .group(target)
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
                        ch.pipeline().addLast(call);
                    }
                });
        ChannelFuture connect = b.connect(address);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                call.fail(f.cause());
                return;
            }
            Channel ch = connect.channel();
            handler.onConnected(ch);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                    Unpooled.wrappedBuffer(body));
            request.headers()
                    .set(HttpHeaderNames.HOST, hostHeader)
                    .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            headers.forEach(request.headers()::set);
            ch.writeAndFlush(request).addListener(w -> {
                if (!w.isSuccess()) {
                    call.fail(w.cause());
                    ch.close();
                }
            });
        });
        return () -> connect.channel().close();
    }

    /** Turns the decoded response into the handler's calls, once. */
    private static final class Call extends SimpleChannelInboundHandler<HttpObject> {
        private final Handler handler;
        private boolean finished;

        Call(Handler handler) {
            this.handler = handler;
        }

        void fail(Throwable cause) {
            if (!finished) {
                finished = true;
                handler.onError(cause);
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (finished) {
                return;
            }
            if (msg.decoderResult().isFailure()) {
                fail(msg.decoderResult().cause());
                ctx.close();
                return;
            }
            if (msg instanceof HttpResponse response) {
                handler.onResponse(response.status().code());
            }
            if (msg instanceof HttpContent content && !finished) {
                if (content.content().isReadable()) {
                    handler.onContent(content.content());
                }
                if (msg instanceof LastHttpContent && !finished) {
                    finished = true;
                    handler.onEnd();
                    ctx.close();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            fail(new IOException("the connection closed before the response ended"));
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
            ctx.close();
        }
    }

    @Override
    public void close() {
        io.netty.util.concurrent.Future<?> done = group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        try {
            // wait for the loops to end, so that buffers in flight are released before close returns (a test class
            // that ended before its client's last buffer was freed was reported as leaking)
            done.awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (io.netty.util.concurrent.BlockingOperationException e) {
            // closed from one of its own loops: it ends on its own
        }
    }
}

package dev.lectern.ai.llm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.netty.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The streaming client against a real Netty HTTP server on loopback: plain and TLS, whole and broken responses. */
class StreamingHttpClientTest {
    private final EventLoopGroup serverGroup = EventLoops.newGroup(1, "test-upstream");
    private final EventLoopGroup callerGroup = EventLoops.newGroup(2, "test-caller");
    private StreamingHttpClient client;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        callerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** Answers each POST with its body echoed in {@code pieces} chunks; {@code cutShort} closes before the end. */
    private int server(SslContext tls, int pieces, boolean cutShort) throws Exception {
        Channel ch = new ServerBootstrap().group(serverGroup).channel(EventLoops.serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        if (tls != null) {
                            c.pipeline().addLast(tls.newHandler(c.alloc()));
                        }
                        c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        String body = req.content().toString(StandardCharsets.UTF_8)
                                                + "|" + req.headers().get("X-Test");
                                        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.OK);
                                        HttpUtil.setTransferEncodingChunked(head, true);
                                        ctx.write(head);
                                        int step = Math.max(1, body.length() / pieces);
                                        for (int i = 0; i < body.length(); i += step) {
                                            String piece = body.substring(i, Math.min(body.length(), i + step));
                                            ctx.writeAndFlush(new DefaultHttpContent(
                                                    Unpooled.copiedBuffer(piece, StandardCharsets.UTF_8)));
                                        }
                                        if (cutShort) {
                                            ctx.flush();
                                            ctx.close();
                                        } else {
                                            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                                                    .addListener(ChannelFutureListener.CLOSE);
                                        }
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    /** Records what one call heard, and whether every callback came on {@code loop}. */
    private static final class Recorder implements StreamingHttpClient.Handler {
        final EventLoop loop;
        final StringBuilder body = new StringBuilder();
        final List<String> offLoop = new CopyOnWriteArrayList<>();
        final CompletableFuture<Integer> status = new CompletableFuture<>();
        final CompletableFuture<String> done = new CompletableFuture<>();
        StreamingHttpClient.Cancellable call;

        Recorder(EventLoop loop) {
            this.loop = loop;
        }

        private void check(String what) {
            if (loop != null && !loop.inEventLoop()) {
                offLoop.add(what + " on " + Thread.currentThread().getName());
            }
        }

        @Override
        public void onConnected(StreamingHttpClient.Cancellable call) {
            check("connected");
        }

        @Override
        public void onResponse(int code) {
            check("response");
            status.complete(code);
        }

        @Override
        public void onContent(ByteBuf content) {
            check("content");
            body.append(content.toString(StandardCharsets.UTF_8));
        }

        @Override
        public void onEnd() {
            check("end");
            done.complete(body.toString());
        }

        @Override
        public void onError(Throwable cause) {
            check("error");
            done.completeExceptionally(cause);
        }
    }

    private Recorder post(String url, EventLoop loop) {
        Recorder r = new Recorder(loop);
        r.call = client.post(URI.create(url), Map.of("X-Test", "yes"),
                "hello streaming world".getBytes(StandardCharsets.UTF_8), loop, r);
        return r;
    }

    @Test
    void streamsTheBodyInPiecesOnTheLoopItWasAskedFor() throws Exception {
        client = new StreamingHttpClient(2000, 1);
        int port = server(null, 7, false);
        EventLoop loop = callerGroup.next();
        Recorder r = post("http://127.0.0.1:" + port + "/v1/chat/completions", loop);
        assertThat(r.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world|yes");
        assertThat(r.status.get()).isEqualTo(200);
        assertThat(r.offLoop).isEmpty();
    }

    @Test
    void aBodyThatEndsEarlyIsAnErrorNotAnEnd() throws Exception {
        client = new StreamingHttpClient(2000, 1);
        int port = server(null, 3, true);
        Recorder r = post("http://127.0.0.1:" + port + "/", null);
        assertThat(r.done).failsWithin(5, TimeUnit.SECONDS);
        assertThat(r.body.toString()).isNotEmpty(); // what arrived was delivered first
    }

    @Test
    void aRefusedConnectionIsAConnectException() throws Exception {
        client = new StreamingHttpClient(2000, 1);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Recorder r = post("http://127.0.0.1:" + port + "/", callerGroup.next());
        assertThat(r.done).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
                .withCauseInstanceOf(ConnectException.class);
        assertThat(r.offLoop).isEmpty();
    }

    @Test
    void tlsWithATrustedCertificateForTheHostWorksAndAnythingElseIsRefused() throws Exception {
        SelfSignedCertificate localhost = new SelfSignedCertificate("localhost");
        SelfSignedCertificate other = new SelfSignedCertificate("example.org");
        int port = server(SslContextBuilder.forServer(localhost.certificate(), localhost.privateKey())
                .sslProvider(SslProvider.JDK).build(), 4, false);
        int otherPort = server(SslContextBuilder.forServer(other.certificate(), other.privateKey())
                .sslProvider(SslProvider.JDK).build(), 4, false);
        client = new StreamingHttpClient(2000, 1, SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(localhost.cert(), other.cert()).build());

        Recorder ok = post("https://localhost:" + port + "/v1", callerGroup.next());
        assertThat(ok.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world|yes");
        assertThat(ok.offLoop).isEmpty();

        Recorder wrongName = post("https://localhost:" + otherPort + "/v1", null); // trusted, but not for localhost
        assertThat(wrongName.done).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
                .withRootCauseInstanceOf(java.security.cert.CertificateException.class);
        assertThat(wrongName.body.toString()).isEmpty();

        try (StreamingHttpClient defaults = new StreamingHttpClient(2000, 1)) { // the JDK's trust store only
            Recorder untrusted = new Recorder(null);
            defaults.post(URI.create("https://localhost:" + port + "/"), Map.of(), new byte[0], null, untrusted);
            assertThat(untrusted.done).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
                    .withCauseInstanceOf(SSLException.class);
        }
    }

    /**
     * A kept-alive server: answers each POST with its body and {@code #<n>}, the request's number on its connection,
     * and counts the connections it accepted. {@code dropSecond}: the second request on the first connection is not
     * answered, the connection is closed instead (as a server closes a connection it let idle). {@code close}: every answer says
     * {@code Connection: close}. {@code hold}: the answer's end waits until that future completes.
     */
    private int keepAliveServer(AtomicInteger accepted, boolean dropSecond, boolean close,
                                CompletableFuture<Void> hold) throws Exception {
        Channel ch = new ServerBootstrap().group(serverGroup).channel(EventLoops.serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        int number = accepted.incrementAndGet();
                        c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    private int requests;

                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        requests++;
                                        if (dropSecond && requests == 2 && number == 1) {
                                            ctx.close();
                                            return;
                                        }
                                        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.OK);
                                        HttpUtil.setTransferEncodingChunked(head, true);
                                        if (close) {
                                            head.headers().set("Connection", "close");
                                        }
                                        ctx.write(head);
                                        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(
                                                req.content().toString(StandardCharsets.UTF_8) + "#" + requests,
                                                StandardCharsets.UTF_8)));
                                        hold.thenRun(() -> ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                                                .addListener(close ? ChannelFutureListener.CLOSE
                                                        : ChannelFutureListener.CLOSE_ON_FAILURE));
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    @Test
    void aSecondCallOnTheSameLoopReusesTheConnection() throws Exception {
        client = new StreamingHttpClient(2000, 1);
        AtomicInteger accepted = new AtomicInteger();
        int port = keepAliveServer(accepted, false, false, CompletableFuture.completedFuture(null));
        EventLoop loop = callerGroup.next();
        for (int i = 1; i <= 3; i++) {
            Recorder r = post("http://127.0.0.1:" + port + "/v1/chat/completions", loop);
            assertThat(r.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world#" + i);
            assertThat(r.offLoop).isEmpty();
        }
        assertThat(accepted.get()).isEqualTo(1);
    }

    @Test
    void aPooledConnectionTheServerDroppedIsReplacedAndTheRequestSentAgain() throws Exception {
        client = new StreamingHttpClient(2000, 1);
        AtomicInteger accepted = new AtomicInteger();
        int port = keepAliveServer(accepted, true, false, CompletableFuture.completedFuture(null));
        EventLoop loop = callerGroup.next();
        Recorder first = post("http://127.0.0.1:" + port + "/", loop);
        assertThat(first.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world#1");
        Recorder second = post("http://127.0.0.1:" + port + "/", loop); // written on the kept connection, dropped
        assertThat(second.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world#1");
        assertThat(second.offLoop).isEmpty();
        Recorder third = post("http://127.0.0.1:" + port + "/", loop); // the new connection is kept in turn
        assertThat(third.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world#2");
        assertThat(accepted.get()).isEqualTo(2);
    }

    @Test
    void aConnectionIsNotReusedAfterACancelOrWhenTheServerSaysClose() throws Exception {
        client = new StreamingHttpClient(2000, 1);
        AtomicInteger accepted = new AtomicInteger();
        CompletableFuture<Void> hold = new CompletableFuture<>();
        int port = keepAliveServer(accepted, false, false, hold);
        EventLoop loop = callerGroup.next();
        Recorder cancelled = post("http://127.0.0.1:" + port + "/", loop);
        cancelled.status.get(5, TimeUnit.SECONDS);
        cancelled.call.cancel();
        assertThat(cancelled.done).failsWithin(5, TimeUnit.SECONDS);
        hold.complete(null);
        Recorder next = post("http://127.0.0.1:" + port + "/", loop);
        assertThat(next.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world#1");
        assertThat(accepted.get()).isEqualTo(2);

        AtomicInteger closing = new AtomicInteger();
        int closePort = keepAliveServer(closing, false, true, CompletableFuture.completedFuture(null));
        for (int i = 0; i < 2; i++) {
            Recorder r = post("http://127.0.0.1:" + closePort + "/", loop);
            assertThat(r.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world#1");
        }
        assertThat(closing.get()).isEqualTo(2);
    }

    @Test
    void anEndedCallsReadingSwitchAndCancelDoNotTouchTheNextCallOnItsConnection() throws Exception {
        client = new StreamingHttpClient(2000, 1);
        AtomicInteger accepted = new AtomicInteger();
        int port = keepAliveServer(accepted, false, false, CompletableFuture.completedFuture(null));
        EventLoop loop = callerGroup.next();
        Recorder first = post("http://127.0.0.1:" + port + "/", loop);
        assertThat(first.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world#1");
        Recorder second = post("http://127.0.0.1:" + port + "/", loop);
        first.call.readUnless(() -> true); // a late pause and cancel of the first call ...
        first.call.cancel();
        assertThat(second.done.get(5, TimeUnit.SECONDS)).isEqualTo("hello streaming world#2"); // ... change nothing
        assertThat(accepted.get()).isEqualTo(1);
    }
}

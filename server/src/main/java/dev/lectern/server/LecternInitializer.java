package dev.lectern.server;

import dev.lectern.core.config.HttpConfig;
import dev.lectern.core.netty.PipelineNames;
import dev.lectern.core.netty.ChannelAttrs;
import dev.lectern.core.netty.ProxyProtocolDetector;
import dev.lectern.http.HttpApp;
import dev.lectern.http.HttpEdgeInitializer;
import dev.lectern.http.HttpTimeoutHandler;
import dev.lectern.http.internal.ServerHttpCodec;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import java.util.function.Supplier;

/**
 * Builds the pipeline of one accepted connection and nothing else: HTTP decoder and encoder, timeouts, the signaling
 * endpoints (when this port serves them), then the REST edge ({@link HttpEdgeInitializer}).
 */
public final class LecternInitializer extends ChannelInitializer<SocketChannel> {
    private final HttpConfig http;
    private final HttpApp app;
    private final Supplier<ChannelHandler> signaling;
    private final ChannelGroup channels;

    public LecternInitializer(HttpConfig http, HttpApp app, Supplier<ChannelHandler> signaling, ChannelGroup channels) {
        this.http = http;
        this.app = app;
        this.signaling = signaling;
        this.channels = channels;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        channels.add(ch);
        ChannelPipeline p = ch.pipeline();
        if (!http.trustedProxies().isEmpty()) {
            ch.attr(ChannelAttrs.TRUSTED_PROXIES).set(app.clientAddresses());
            p.addLast(PipelineNames.PROXY_PROTOCOL_DETECTOR, new ProxyProtocolDetector(app.clientAddresses()));
        }
        ServerHttpCodec.addTo(p, new HttpDecoderConfig().setMaxInitialLineLength(http.maxInitialLineBytes())
                .setMaxHeaderSize(http.maxHeaderBytes()).setMaxChunkSize(8192));
        p.addLast(PipelineNames.HTTP_TIMEOUT, new HttpTimeoutHandler(http.idleTimeoutMillis(), http.requestTimeoutMillis()));
        if (signaling != null) {
            p.addLast(PipelineNames.SIGNALING, signaling.get());
        }
        HttpEdgeInitializer.addTo(p, app);
    }
}

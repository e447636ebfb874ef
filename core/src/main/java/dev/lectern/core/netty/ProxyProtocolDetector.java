package dev.lectern.core.netty;

import dev.lectern.core.net.ClientAddresses;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The PROXY protocol (v1 text, v2 binary) in front of HTTP, believed only from {@code http.trustedProxies}: a
 * connection from a trusted peer that starts with a PROXY header has it decoded by Netty's
 * {@link HAProxyMessageDecoder}, and the source address it names becomes the connection's client address
 * ({@link ChannelAttrs#CLIENT_ADDRESS}), which the rate limits and signaling's per-address caps key on. From any other
 * peer the bytes go on to HTTP untouched (a PROXY line is then a bad request), so nobody can pick their own address.
 * Connections that start with plain HTTP pass as before. Removes itself once it has decided.
 */
public final class ProxyProtocolDetector extends ByteToMessageDecoder {
    private final ClientAddresses trusted;

    public ProxyProtocolDetector(ClientAddresses trusted) {
        this.trusted = trusted;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        ProtocolDetectionResult<HAProxyProtocolVersion> detected = HAProxyMessageDecoder.detectProtocol(in);
        switch (detected.state()) {
            case NEEDS_MORE_DATA -> {
                return;
            }
            case DETECTED -> {
                if (ctx.channel().remoteAddress() instanceof InetSocketAddress peer && peer.getAddress() != null
                        && trusted.isTrusted(peer.getAddress())) {
                    ctx.pipeline().addAfter(ctx.name(), PipelineNames.PROXY_PROTOCOL_DECODER,
                            new HAProxyMessageDecoder());
                    ctx.pipeline().addAfter(PipelineNames.PROXY_PROTOCOL_DECODER, PipelineNames.PROXY_PROTOCOL,
                            new ProxiedAddress());
                }
            }
            default -> { }
        }
        ctx.pipeline().remove(this); // what was read goes on to the next handler
    }

    /** Takes the decoded header: its source address is the client's. */
    private static final class ProxiedAddress extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HAProxyMessage header)) {
                ctx.fireChannelRead(msg);
                return;
            }
            try {
                String source = header.sourceAddress();
                if (header.command() == HAProxyCommand.PROXY && source != null
                        && ClientAddresses.isLiteral(source)) {
                    ctx.channel().attr(ChannelAttrs.CLIENT_ADDRESS).set(new InetSocketAddress(
                            ClientAddresses.parseLiteral(source), header.sourcePort()));
                }
            } finally {
                header.release();
                ctx.pipeline().remove(this);
            }
        }
    }
}

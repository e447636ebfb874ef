package dev.lectern.media.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The avatar-side leg of the proxy: one per backend connection, handing what the avatar sends to the
 * {@link ProxyFrontendHandler} of the request it currently serves. Between requests the connection rests in the
 * {@link BackendPool}; anything the avatar sends then is unexpected and closes the connection.
 */
final class ProxyBackendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(ProxyBackendHandler.class);

    private ProxyFrontendHandler exchange;
    private long parkedAtNanos;

    void attach(ProxyFrontendHandler e) {
        exchange = e;
    }

    void detach() {
        exchange = null;
    }

    void parkInPool(long nanoTime) {
        exchange = null;
        parkedAtNanos = nanoTime;
    }

    long parkedAtNanos() {
        return parkedAtNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ProxyFrontendHandler e = exchange;
        if (e == null) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        e.onBackendRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ProxyFrontendHandler e = exchange;
        if (e != null) {
            e.onBackendReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ProxyFrontendHandler e = exchange;
        if (e != null) {
            e.onBackendWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ProxyFrontendHandler e = exchange;
        exchange = null;
        if (e != null) {
            e.onBackendClosed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("avatar connection {} failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}

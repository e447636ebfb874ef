package dev.lectern.media.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The avatar-side leg of the proxy: one per backend connection, the only handler in its pipeline. It reads the
 * avatar's bytes with an {@link AvatarResponseParser} and hands the response, framed for the browser, to the
 * {@link ProxyFrontendHandler} of the request it currently serves; the request goes out as bytes the frontend has
 * framed. Between requests the connection rests in the {@link BackendPool}; anything the avatar sends then, or after
 * the end of a response, is unexpected and closes the connection.
 */
final class ProxyBackendHandler extends ChannelInboundHandlerAdapter implements AvatarResponseParser.Sink {
    private static final Logger logger = LoggerFactory.getLogger(ProxyBackendHandler.class);

    private final AvatarResponseParser parser = new AvatarResponseParser();
    private ProxyFrontendHandler exchange;
    private long parkedAtNanos;

    /** Serves {@code e}'s request from now on; {@code headRequest}: the answer to a HEAD has no body. */
    void attach(ProxyFrontendHandler e, boolean headRequest) {
        exchange = e;
        parser.start(headRequest);
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
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (exchange == null || parser.isDone()) {
                ctx.close(); // the avatar talks out of turn
                return;
            }
            if (parser.feed(ctx.alloc(), buf, this)) {
                ctx.close(); // more than the response: this connection is not used again
            }
        } catch (AvatarResponseParser.InvalidResponseException e) {
            logger.debug("avatar connection {} sent an invalid response: {}", ctx.channel(), e.getMessage());
            ProxyFrontendHandler x = exchange;
            exchange = null;
            ctx.close();
            if (x != null) {
                x.onBackendInvalid();
            }
        } finally {
            buf.release();
        }
    }

    @Override
    public void onHead(int status, ByteBuf head, boolean keepAlive, boolean complete) {
        ProxyFrontendHandler e = exchange;
        if (e == null) {
            head.release();
            return;
        }
        e.onBackendHead(status, head, keepAlive, complete);
    }

    @Override
    public void onBody(ByteBuf part, boolean complete) {
        ProxyFrontendHandler e = exchange;
        if (e == null) {
            part.release();
            return;
        }
        e.onBackendBody(part, complete);
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
        // a body that ends with the connection is complete now; any other response is cut short
        if (exchange != null && parser.endOfInput(ctx.alloc(), this)) {
            return;
        }
        parser.release();
        ProxyFrontendHandler e = exchange;
        exchange = null;
        if (e != null) {
            e.onBackendClosed();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        parser.release();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("avatar connection {} failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}

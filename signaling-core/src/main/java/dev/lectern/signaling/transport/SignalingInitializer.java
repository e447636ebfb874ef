package dev.lectern.signaling.transport;

import dev.lectern.core.netty.PipelineNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;

/**
 * Puts the signaling handlers of one connection where it was added, in this order, and removes itself:
 * {@link PipelineNames#SIGNALING_ROUTER}, {@link PipelineNames#ENGINE_IO_POLLING},
 * {@link PipelineNames#WEBSOCKET_UPGRADE}. Added after the HTTP codec and before REST dispatch; one instance serves
 * every connection of a listener.
 */
@ChannelHandler.Sharable
public final class SignalingInitializer extends ChannelInitializer<Channel> {
    private final SignalingEndpoints endpoints;
    private final WebSocketUpgradeHandler upgrader;

    public SignalingInitializer(SignalingEndpoints endpoints) {
        this.endpoints = endpoints;
        this.upgrader = new WebSocketUpgradeHandler(endpoints);
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        ChannelHandlerContext self = p.context(this);
        p.addAfter(self.name(), PipelineNames.SIGNALING_ROUTER, new SignalingRouterHandler(endpoints));
        p.addAfter(PipelineNames.SIGNALING_ROUTER, PipelineNames.ENGINE_IO_POLLING,
                new EngineIoPollingHandler(endpoints.origins(), endpoints.maxPayloadBytes()));
        p.addAfter(PipelineNames.ENGINE_IO_POLLING, PipelineNames.WEBSOCKET_UPGRADE, upgrader);
    }
}

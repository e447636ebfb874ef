package dev.lectern.core.netty;

import io.netty.util.AttributeKey;

/** Per-connection values kept on the channel, for long-lived connections (WebSocket, SSE) and logging. */
public final class ChannelAttrs {
    /** The request id of the request that opened a long-lived connection. */
    public static final AttributeKey<String> REQUEST_ID = AttributeKey.valueOf("lectern.requestId");
    /** The Engine.IO session id, once there is one. */
    public static final AttributeKey<String> SESSION_ID = AttributeKey.valueOf("lectern.sessionId");

    /**
     * The client's address as a trusted proxy told it with the PROXY protocol ({@link ProxyProtocolDetector}); absent
     * when the connection came straight from the client (then it is the peer's).
     */
    public static final AttributeKey<java.net.InetSocketAddress> CLIENT_ADDRESS =
            AttributeKey.valueOf("lectern.clientAddress");

    /** The address the connection is from: what a trusted proxy said with the PROXY protocol, else the peer's. */
    public static java.net.SocketAddress clientAddress(io.netty.channel.Channel ch) {
        java.net.InetSocketAddress proxied = ch.attr(CLIENT_ADDRESS).get();
        return proxied != null ? proxied : ch.remoteAddress();
    }

    private ChannelAttrs() {}
}

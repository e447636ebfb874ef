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

    /**
     * Who may say which client a request is for ({@code http.trustedProxies}); set on the connection when there are
     * trusted proxies, so that handlers outside the REST dispatcher (Engine.IO handshakes) believe
     * {@code X-Forwarded-For} exactly as the REST rate limits do.
     */
    public static final AttributeKey<dev.lectern.core.net.ClientAddresses> TRUSTED_PROXIES =
            AttributeKey.valueOf("lectern.trustedProxies");

    /**
     * The client a request on this connection is for, as a host address: the PROXY protocol's or the peer's address,
     * then (only when that is a trusted proxy) the request's {@code X-Forwarded-For}; null when unknown.
     */
    public static String clientHost(io.netty.channel.Channel ch, String forwardedFor) {
        java.net.SocketAddress from = clientAddress(ch);
        dev.lectern.core.net.ClientAddresses proxies = ch.attr(TRUSTED_PROXIES).get();
        if (proxies != null && from instanceof java.net.InetSocketAddress a && a.getAddress() != null) {
            return proxies.resolve(from, forwardedFor);
        }
        return from instanceof java.net.InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : null;
    }

    /** The address the connection is from: what a trusted proxy said with the PROXY protocol, else the peer's. */
    public static java.net.SocketAddress clientAddress(io.netty.channel.Channel ch) {
        java.net.InetSocketAddress proxied = ch.attr(CLIENT_ADDRESS).get();
        return proxied != null ? proxied : ch.remoteAddress();
    }

    private ChannelAttrs() {}
}

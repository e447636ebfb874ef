package dev.lectern.core.netty;

import io.netty.util.AttributeKey;

/** Per-connection values kept on the channel, for long-lived connections (WebSocket, SSE) and logging. */
public final class ChannelAttrs {
    /** The request id of the request that opened a long-lived connection. */
    public static final AttributeKey<String> REQUEST_ID = AttributeKey.valueOf("lectern.requestId");
    /** The Engine.IO session id, once there is one. */
    public static final AttributeKey<String> SESSION_ID = AttributeKey.valueOf("lectern.sessionId");

    private ChannelAttrs() {}
}

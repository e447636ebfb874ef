package dev.lectern.core.netty;

/** Every pipeline handler name, in pipeline order (Reactor Netty's {@code NettyPipeline} style). */
public final class PipelineNames {
    /** Connection counting and the channel group used for graceful shutdown. */
    public static final String CONNECTIONS = "connections";
    /** The HTTP/1.1 request decoder and response encoder (a WebSocket handshake replaces both). */
    public static final String HTTP_DECODER = "httpDecoder";
    public static final String HTTP_ENCODER = "httpEncoder";
    /** Idle keep-alive connections and slow (slowloris) requests are cut off here. */
    public static final String HTTP_TIMEOUT = "httpTimeout";
    /** The signaling initializer: replaces itself, as soon as it is added, with the three handlers below. */
    public static final String SIGNALING = "signaling";
    /**
     * Claims the Engine.IO / Socket.IO / JSON WebSocket paths (origin, CORS preflight, protocol version, transport);
     * every other request passes on.
     */
    public static final String SIGNALING_ROUTER = "signalingRouter";
    /** Engine.IO long-polling: handshake, waiting GETs, POST bodies up to the payload limit. */
    public static final String ENGINE_IO_POLLING = "engineIoPolling";
    /**
     * Checks and performs a WebSocket upgrade: it removes the HTTP handlers, puts {@link #WEBSOCKET_TRANSPORT} in its
     * place and fires {@code WebSocketUpgraded} once the handshake is written.
     */
    public static final String WEBSOCKET_UPGRADE = "websocketUpgrade";
    /** Reassembles fragmented WebSocket messages; installed by a connection's first fragmented message only. */
    public static final String WS_FRAME_AGGREGATOR = "wsFrameAggregator";
    /** The WebSocket transport after an upgrade: Engine.IO packets or the JSON dialect, per frame. */
    public static final String WEBSOCKET_TRANSPORT = "websocketTransport";
    /** REST routing, body limits, CORS, request ids, access log. */
    public static final String HTTP_DISPATCH = "httpDispatch";
    /** A route that streams its body (uploads, proxy, SSE) installs its handler under this name for one request. */
    public static final String HTTP_STREAM = "httpStream";
    public static final String PROXY_FRONTEND = "proxyFrontend";
    /** The avatar proxy's backend leg (a client connection to an avatar instance): bytes both ways. */
    public static final String PROXY_BACKEND = "proxyBackend";

    private PipelineNames() {}
}

package dev.lectern.core.netty;

/** Every pipeline handler name, in pipeline order (Reactor Netty's {@code NettyPipeline} style). */
public final class PipelineNames {
    /** Connection counting and the channel group used for graceful shutdown. */
    public static final String CONNECTIONS = "connections";
    /**
     * The PROXY protocol (v1/v2) from {@code http.trustedProxies} peers: the detector, then (only when a trusted peer
     * sent a header) Netty's decoder and the handler that keeps the client address it names. Each removes itself.
     */
    public static final String PROXY_PROTOCOL_DETECTOR = "proxyProtocolDetector";
    public static final String PROXY_PROTOCOL_DECODER = "proxyProtocolDecoder";
    public static final String PROXY_PROTOCOL = "proxyProtocol";
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
    /** Keep-alive, pipelined requests (one at a time), {@code Connection: close} and the lingering close. */
    public static final String HTTP_KEEP_ALIVE = "httpKeepAlive";
    /** CORS: the headers of every response to a listed origin (outbound after the request id). */
    public static final String HTTP_CORS = "httpCors";
    /** Request id (header, MDC, channel attribute), decoded path and query, access log and request metrics. */
    public static final String HTTP_REQUEST_CONTEXT = "httpRequestContext";
    /** Routing (404, 405, OPTIONS, CORS preflight), body limits (413, 415), 100-continue, decorators, the route. */
    public static final String HTTP_DISPATCH = "httpDispatch";
    /** A tunnel route (an upload, the avatar proxy) installs its handler under this name: the one pipeline switch. */
    public static final String HTTP_STREAM = "httpStream";
    /** Writes the event stream an SSE route returns, paced by the channel's writability. */
    public static final String HTTP_SSE = "httpSse";
    public static final String PROXY_FRONTEND = "proxyFrontend";
    /** The avatar proxy's backend leg (a client connection to an avatar instance): bytes both ways. */
    public static final String PROXY_BACKEND = "proxyBackend";

    private PipelineNames() {}
}

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
    /** Engine.IO / Socket.IO / JSON WebSocket endpoints claim their paths here; everything else passes on. */
    public static final String SIGNALING = "signaling";
    public static final String WS_PROTOCOL = "wsProtocol";
    public static final String EIO_TRANSPORT = "eioTransport";
    /** REST routing, body limits, CORS, request ids, access log. */
    public static final String HTTP_DISPATCH = "httpDispatch";
    /** A route that streams its body (uploads, proxy, SSE) installs its handler under this name for one request. */
    public static final String HTTP_STREAM = "httpStream";
    public static final String PROXY_FRONTEND = "proxyFrontend";
    /** The avatar proxy's backend leg (a client connection to an avatar instance): bytes both ways. */
    public static final String PROXY_BACKEND = "proxyBackend";

    private PipelineNames() {}
}

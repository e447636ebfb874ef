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

    /** The REST edge: removed when a WebSocket handshake takes the connection over. */
    public static final java.util.List<String> HTTP_EDGE = java.util.List.of(HTTP_TIMEOUT, HTTP_KEEP_ALIVE,
            HTTP_CORS, HTTP_REQUEST_CONTEXT, HTTP_DISPATCH, HTTP_SSE);

    private PipelineNames() {}
}

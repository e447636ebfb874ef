package dev.lectern.http;

import dev.lectern.core.netty.PipelineNames;
import dev.lectern.http.sse.SseHandler;
import io.netty.channel.ChannelPipeline;

/**
 * The REST edge of a connection, one concern per handler, in pipeline order: keep-alive and pipelining, CORS headers,
 * the request context (id, MDC, access log, metrics), routing and dispatch, and the writer of event streams. A tunnel
 * route's handler joins between the last two for its request.
 */
public final class HttpEdgeInitializer {
    private HttpEdgeInitializer() {}

    /** Adds the edge's handlers at the end of a pipeline that already decodes and encodes HTTP/1.1. */
    public static void addTo(ChannelPipeline p, HttpApp app) {
        p.addLast(PipelineNames.HTTP_KEEP_ALIVE, new KeepAliveHandler(app::draining));
        p.addLast(PipelineNames.HTTP_CORS, new CorsHandler(app.cors()));
        p.addLast(PipelineNames.HTTP_REQUEST_CONTEXT, new RequestContextHandler(app));
        p.addLast(PipelineNames.HTTP_DISPATCH, new RouteDispatchHandler(app));
        p.addLast(PipelineNames.HTTP_SSE, new SseHandler());
    }
}

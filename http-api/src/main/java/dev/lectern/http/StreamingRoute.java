package dev.lectern.http;

import io.netty.channel.ChannelHandler;

/**
 * A route that handles the raw HTTP request itself. After routing and the decorators (authentication, rate limits)
 * have accepted the request, the dispatcher installs the handler this returns under
 * {@code PipelineNames.HTTP_STREAM} right after itself and passes it the {@code HttpRequest} and every
 * {@code HttpContent} of the request. The handler writes the whole response; the dispatcher sees the final
 * {@code LastHttpContent} go out, logs the request and removes the handler. Read with {@code ctx.read()}: the
 * channel's auto-read is off while a request with a body is handled, so the handler decides how fast the body
 * arrives (for a request without a body it stays on until a pipelined request arrives).
 *
 * <p>A route whose handlers can serve one request after another may say so with {@link #keepInstalled}: the handler
 * then stays in the pipeline, idle, after its request, and is offered back to {@link #handler} for the connection's
 * next request on the same route; a request on any other streaming route replaces it. Whatever is installed when the
 * request's messages are handed over in a later task (after an asynchronous decorator) also gets a
 * {@code channelReadComplete} after them, as after a read.
 */
@FunctionalInterface
public interface StreamingRoute {
    ChannelHandler newHandler(ApiRequest request);

    /**
     * The handler for this request. {@code installed}, when not null, is a handler this route made for an earlier
     * request on the connection and kept installed: return it, ready for this request, or a new one to replace it.
     */
    default ChannelHandler handler(ApiRequest request, ChannelHandler installed) {
        return newHandler(request);
    }

    /** Whether this handler, its request answered, may stay installed for the connection's next request. */
    default boolean keepInstalled(ChannelHandler handler) {
        return false;
    }
}

package dev.lectern.http;

import io.netty.channel.ChannelHandler;

/**
 * A route that takes the connection's raw HTTP messages for one request: an upload read as it arrives, the avatar
 * proxy. This is the one pipeline switch of the HTTP edge: after routing and the decorators (authentication, rate
 * limits) have accepted the request, the dispatcher installs the handler this returns under
 * {@code PipelineNames.HTTP_STREAM} right after itself and passes it the {@code HttpRequest} and every
 * {@code HttpContent} of the request. The handler writes the whole response; the dispatcher sees its last part go out
 * and removes the handler. Read with {@code ctx.read()}: the channel's auto-read is off while a request with a body is
 * handled, so the handler decides how fast the body arrives (for a request without a body it stays on until a
 * pipelined request arrives). A handler that answers before the body has arrived says {@code Connection: close}; the
 * keep-alive handler then drains the rest and closes.
 *
 * <p>The handler comes from the module that owns the protocol (the media proxy, the multipart reader); the REST class
 * that registers the route only checks the request. A tunnel whose handlers can serve one request after another may
 * say so with {@link #keepInstalled}: the handler then stays in the pipeline, idle, after its request, and is offered
 * back to {@link #handler} for the connection's next request on the same route; a request on any other tunnel route
 * replaces it. Whatever is installed when the request's messages are handed over in a later task (after an
 * asynchronous decorator) also gets a {@code channelReadComplete} after them, as after a read.
 */
@FunctionalInterface
public interface Tunnel {
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

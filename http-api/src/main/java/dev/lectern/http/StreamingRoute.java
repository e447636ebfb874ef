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
 */
@FunctionalInterface
public interface StreamingRoute {
    ChannelHandler newHandler(ApiRequest request);
}

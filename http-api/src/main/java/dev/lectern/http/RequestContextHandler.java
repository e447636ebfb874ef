package dev.lectern.http;

import dev.lectern.core.log.LogContext;
import dev.lectern.core.log.RequestIds;
import dev.lectern.core.netty.ChannelAttrs;
import dev.lectern.core.netty.HttpMessages;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context of each request: its id (a valid {@code X-Request-Id} or a new one, echoed in the response, in the MDC
 * while the request's messages are handled and in a channel attribute), its decoded path and query
 * ({@link RequestContext}, for the handlers after this one), the in-flight count, and when its response has gone
 * out, the access log line ({@code dev.lectern.access}) and the {@code http.server.requests} timer.
 */
public final class RequestContextHandler extends ChannelDuplexHandler {
    /** The request in progress, for the handlers after this one. */
    public static final AttributeKey<RequestContext> CONTEXT = AttributeKey.valueOf("lectern.requestContext");
    private static final Logger access = LoggerFactory.getLogger("dev.lectern.access");

    private final HttpApp app;
    private RequestContext current;
    private int status;
    private boolean accounted = true;
    /** The request timer this connection used last, and what it times: a keep-alive client repeats itself. */
    private Timer timer;
    private String timerMethod;
    private String timerTemplate;
    private int timerStatus;

    public RequestContextHandler(HttpApp app) {
        this.app = app;
    }

    /** The request in progress on a channel (set by this handler for every request). */
    public static RequestContext of(Channel channel) {
        return channel.attr(CONTEXT).get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest r) {
            start(ctx, r);
        } else if (!(msg instanceof HttpContent) || current == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        try (LogContext ignored = LogContext.push(current.requestId())) {
            ctx.fireChannelRead(msg);
        }
    }

    private void start(ChannelHandlerContext ctx, HttpRequest r) {
        if (!accounted) {
            finish(499, -1); // not answered, and the connection moved on (cannot happen behind the keep-alive handler)
        }
        String requestId = RequestIds.fromHeader(r.headers().get(RequestIds.HEADER));
        String path = null;
        Map<String, List<String>> query = Map.of();
        if (r.decoderResult().isSuccess()) {
            String uri = r.uri();
            if (isPlainPath(uri)) {
                path = uri; // nothing to decode and no query: most API calls, and every proxied avatar call
            } else {
                try {
                    QueryStringDecoder qs = new QueryStringDecoder(uri);
                    path = qs.path();
                    query = qs.parameters();
                } catch (IllegalArgumentException e) {
                    path = null; // answered 400 by the dispatcher
                }
            }
        }
        current = new RequestContext(requestId, r.method().name(), path, query, System.nanoTime());
        status = 200;
        accounted = false;
        app.inFlightCounter().incrementAndGet();
        ctx.channel().attr(ChannelAttrs.REQUEST_ID).set(requestId);
        ctx.channel().attr(CONTEXT).set(current);
    }

    /** A URI that is its own path: no query, no fragment, nothing percent-encoded. */
    private static boolean isPlainPath(String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#' || c == '%') {
                return false;
            }
        }
        return !uri.isEmpty() && uri.charAt(0) == '/';
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!accounted) {
            if (HttpMessages.isFinalHead(msg)) {
                status = HttpMessages.status(msg);
                HttpMessages.setHeader(msg, RequestIds.HEADER, current.requestId());
            }
            if (HttpMessages.isLast(msg)) {
                finish(status, msg instanceof FullHttpResponse full ? full.content().readableBytes() : -1);
            }
        }
        ctx.write(msg, promise);
    }

    private void finish(int status, long bytes) {
        accounted = true;
        app.inFlightCounter().decrementAndGet();
        RequestContext c = current;
        long nanos = System.nanoTime() - c.startNanos();
        String method = c.method();
        String template = c.template();
        if (timer == null || !method.equals(timerMethod) || !template.equals(timerTemplate) || status != timerStatus) {
            timer = app.timer(method, template, status);
            timerMethod = method;
            timerTemplate = template;
            timerStatus = status;
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
        String path = c.path() == null ? "-" : c.path();
        try (LogContext ignored = LogContext.push(c.requestId())) {
            access.atInfo()
                    .addKeyValue("method", method)
                    .addKeyValue("path", path)
                    .addKeyValue("status", status)
                    .addKeyValue("durationMicros", nanos / 1000)
                    .addKeyValue("bytes", bytes)
                    .log("{} {} {}", method, path, status);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!accounted) {
            finish(499, -1); // the client went away before the answer
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (!accounted) {
            finish(499, -1);
        }
    }
}

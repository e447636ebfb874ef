package dev.lectern.http.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.chat.ChatException;
import dev.lectern.ai.chat.ConversationService;
import dev.lectern.ai.chat.Turn;
import dev.lectern.ai.chat.TurnListener;
import dev.lectern.ai.llm.Usage;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.core.json.Json;
import dev.lectern.core.log.LogContext;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.ErrorMapper;
import dev.lectern.http.HttpDispatchHandler;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/chat/stream} on one connection: reads the body (JSON or form), starts the turn on the blocking
 * executor, then writes the answer as Server-Sent Events: {@code data: {"status":"streaming","chunk":…}} per piece,
 * then one of {@code complete}, {@code error} or {@code interrupted}, each with an {@code id:}, and a
 * {@code : keepalive} comment when idle. Refusals before the stream starts (400, 404, 429, 503) are plain JSON errors.
 *
 * <p>Backpressure: model text is requested in a small window only while the channel is writable and the window is
 * reopened in {@link #channelWritabilityChanged}; nothing is ever dropped. When the client goes away the turn is
 * cancelled at once (the upstream connection closes) and its partial answer is stored as interrupted.
 */
public final class ChatStreamHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(ChatStreamHandler.class);
    private static final int WINDOW = 16;
    private static final byte[] KEEPALIVE = ": keepalive\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ConversationService conversations;
    private final Executor blocking;
    private final ApiRequest request;
    private final int maxBodyBytes;
    private final long keepAliveMillis;
    private final Timer gatewayLatency;

    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final List<Runnable> beforeStart = new ArrayList<>(2);
    private ChannelHandlerContext ctx;
    private boolean bodyDone;
    private boolean starting;
    private boolean started;
    private boolean done;
    private Turn turn;
    private long outstanding;
    private long eventId;
    private ScheduledFuture<?> keepAlive;

    public ChatStreamHandler(ConversationService conversations, Executor blocking, ApiRequest request,
                             int maxBodyBytes, long keepAliveMillis, Timer gatewayLatency) {
        this.conversations = conversations;
        this.blocking = blocking;
        this.request = request;
        this.maxBodyBytes = maxBodyBytes;
        this.keepAliveMillis = keepAliveMillis;
        this.gatewayLatency = gatewayLatency;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest r && !(msg instanceof HttpContent)) {
                if (HttpUtil.getContentLength(r, 0L) > maxBodyBytes) {
                    bodyDone = true; // nothing more will be read: the connection closes after the answer
                    respondError(ErrorMapper.error(413, "payload_too_large",
                            "request body exceeds " + maxBodyBytes + " bytes", request.requestId()), true);
                    return;
                }
                ctx.read();
                return;
            }
            if (msg instanceof HttpContent c) {
                if (bodyDone) {
                    return;
                }
                ByteBuf content = c.content();
                if (body.size() + content.readableBytes() > maxBodyBytes) {
                    bodyDone = true;
                    respondError(ErrorMapper.error(413, "payload_too_large",
                            "request body exceeds " + maxBodyBytes + " bytes", request.requestId()), true);
                    return;
                }
                content.readBytes(body, content.readableBytes());
                if (c instanceof LastHttpContent) {
                    bodyDone = true;
                    begin();
                } else {
                    ctx.read();
                }
            }
        } catch (java.io.IOException e) {
            ctx.close();
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The whole body is here: parse it and start the turn on the blocking executor. */
    private void begin() {
        Input input;
        try {
            input = parse(request, body.toByteArray());
        } catch (ServiceException e) {
            respondError(ErrorMapper.toResponse(e, request.requestId()), false);
            return;
        }
        String userId = request.requirePrincipal().userId();
        TurnListener listener = new Listener();
        starting = true;
        CompletableFuture.supplyAsync(() -> conversations.start(userId, input.message(), input.sessionId(),
                        input.companionId(), listener), blocking)
                .whenComplete((t, err) -> onLoop(() -> started(t, err)));
    }

    private void started(Turn t, Throwable err) {
        starting = false;
        if (err != null) {
            Throwable cause = ErrorMapper.unwrap(err);
            if (cause instanceof ChatException ce) {
                cause = new ServiceException(ce.status(), ce.code(), ce.getMessage(), ce.retryAfterSeconds() > 0
                        ? Map.of("Retry-After", Long.toString(ce.retryAfterSeconds())) : Map.of());
            }
            respondError(ErrorMapper.toResponse(cause, request.requestId()), false);
            return;
        }
        this.turn = t;
        if (done || !ctx.channel().isActive()) {
            t.cancel();
            return;
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        head.headers().set("X-Accel-Buffering", "no");
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.write(head);
        started = true;
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("status", "started");
        hello.put("session_id", t.sessionId());
        hello.put("model", t.model());
        hello.put("offline", t.offline());
        event(hello, true);
        keepAlive = ctx.executor().scheduleAtFixedRate(this::keepAlive, keepAliveMillis, keepAliveMillis,
                TimeUnit.MILLISECONDS);
        for (Runnable r : beforeStart) {
            r.run();
        }
        beforeStart.clear();
        requestMore();
    }

    private void requestMore() {
        if (done || turn == null || !ctx.channel().isWritable() || outstanding > WINDOW / 2) {
            return;
        }
        long n = WINDOW - outstanding;
        outstanding += n;
        turn.request(n);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            requestMore();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void keepAlive() {
        if (!done && ctx.channel().isActive()) {
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(KEEPALIVE)));
        }
    }

    // --- events from the turn, already on the event loop

    private void onText(String text, long receivedNanos) {
        if (done) {
            return;
        }
        outstanding--;
        Map<String, Object> e = new LinkedHashMap<>(4);
        e.put("status", "streaming");
        e.put("chunk", text);
        if (turn.offline()) {
            e.put("offline", true);
        }
        ctx.writeAndFlush(new DefaultHttpContent(frame(e))).addListener(f -> {
            if (f.isSuccess()) {
                gatewayLatency.record(System.nanoTime() - receivedNanos, TimeUnit.NANOSECONDS);
            }
        });
        requestMore();
    }

    private void onAudio(int index, String url) {
        if (done) {
            return;
        }
        Map<String, Object> e = new LinkedHashMap<>(4);
        e.put("status", "audio");
        e.put("index", index);
        e.put("audio_url", url);
        event(e, true);
    }

    private void onComplete(TurnListener.Result r) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("status", "complete");
        e.put("session_id", r.sessionId());
        e.put("model", r.model());
        e.put("text", r.text());
        Usage u = r.usage();
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", u.promptTokens());
        usage.put("completion_tokens", u.completionTokens());
        usage.put("total_tokens", u.totalTokens());
        usage.put("estimated", u.estimated());
        e.put("usage", usage);
        e.put("offline", r.offline());
        List<Map<String, Object>> sources = new ArrayList<>(r.sources().size());
        for (Passage p : r.sources()) {
            Map<String, Object> src = new LinkedHashMap<>();
            src.put("file_id", p.fileId().chars().allMatch(Character::isDigit) && !p.fileId().isEmpty()
                    ? (Object) Long.valueOf(p.fileId()) : p.fileId());
            src.put("filename", p.filename());
            src.put("page", p.page() > 0 ? p.page() : null);
            src.put("passage", p.text());
            sources.add(src);
        }
        e.put("sources", sources);
        if (r.notice() != null) {
            e.put("notice", r.notice());
        }
        finish(e);
    }

    private void onError(String code, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("status", "error");
        e.put("code", code);
        e.put("message", message);
        finish(e);
    }

    private void onInterrupted(String reason) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("status", "interrupted");
        e.put("reason", reason);
        finish(e);
    }

    private void finish(Map<String, Object> last) {
        if (done) {
            return;
        }
        event(last, false);
        end();
    }

    private void end() {
        done = true;
        if (keepAlive != null) {
            keepAlive.cancel(false);
        }
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    private void event(Map<String, Object> e, boolean flush) {
        if (!ctx.channel().isActive()) {
            return;
        }
        ctx.write(new DefaultHttpContent(frame(e)));
        if (flush) {
            ctx.flush();
        }
    }

    private ByteBuf frame(Map<String, Object> e) {
        byte[] json = Json.writeBytes(e);
        String id = "id: " + (++eventId) + "\ndata: ";
        ByteBuf buf = ctx.alloc().buffer(id.length() + json.length + 2);
        buf.writeCharSequence(id, StandardCharsets.US_ASCII);
        buf.writeBytes(json);
        buf.writeByte('\n').writeByte('\n');
        return buf;
    }

    private void respondError(ApiResponse resp, boolean close) {
        done = true;
        if (!ctx.channel().isActive()) {
            return;
        }
        FullHttpResponse r = HttpDispatchHandler.fullResponse(resp);
        if (close || !bodyDone) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(r);
        }
    }

    // --- connection end

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        clientGone();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        clientGone();
    }

    private void clientGone() {
        if (keepAlive != null) {
            keepAlive.cancel(false);
        }
        if (!done) {
            done = true;
            if (turn != null) {
                turn.cancel();
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }

    private void onLoop(Runnable task) {
        ctx.executor().execute(() -> runLogged(task));
    }

    private void runLogged(Runnable task) {
        try (LogContext ignored = LogContext.push(request.requestId())) {
            task.run();
        } catch (RuntimeException e) {
            logger.warn("chat stream failed", e);
            ctx.close();
        }
    }

    /**
     * Turn events run on this connection's event loop: at once when they come on it (the model's connection lives
     * there, see {@link #eventLoop()}), else after a hop; those that come before the head is written wait.
     */
    private final class Listener implements TurnListener {
        @Override
        public EventLoop eventLoop() {
            return ctx.channel().eventLoop();
        }

        private void post(Runnable r) {
            Runnable task = () -> {
                if (started) {
                    r.run();
                } else if (!done) {
                    beforeStart.add(r);
                }
            };
            if (ctx.executor().inEventLoop()) {
                runLogged(task);
            } else {
                onLoop(task);
            }
        }

        @Override
        public void onText(String text, long receivedNanos) {
            post(() -> ChatStreamHandler.this.onText(text, receivedNanos));
        }

        @Override
        public void onAudio(int sentenceIndex, String url) {
            post(() -> ChatStreamHandler.this.onAudio(sentenceIndex, url));
        }

        @Override
        public void onComplete(Result result) {
            post(() -> ChatStreamHandler.this.onComplete(result));
        }

        @Override
        public void onError(String code, String message) {
            post(() -> ChatStreamHandler.this.onError(code, message));
        }

        @Override
        public void onInterrupted(String reason) {
            post(() -> ChatStreamHandler.this.onInterrupted(reason));
        }
    }

    /** The request body: {@code message}, optional {@code session_id} and {@code companion_id}. */
    record Input(String message, String sessionId, String companionId) {}

    static Input parse(ApiRequest r, byte[] bytes) {
        ApiRequest withBody = new ApiRequest(r.method(), r.path(), r.query(), r.pathParams(), r.headers(), bytes,
                r.remoteAddress(), r.requestId(), r.principal());
        if (withBody.isForm()) {
            Map<String, List<String>> form = withBody.form();
            return new Input(first(form, "message"), first(form, "session_id"), first(form, "companion_id"));
        }
        if (withBody.isJson()) {
            JsonNode n = withBody.jsonObject();
            return new Input(text(n, "message"), text(n, "session_id"), text(n, "companion_id"));
        }
        throw new ServiceException(415, "unsupported_media_type",
                "content type must be application/json or application/x-www-form-urlencoded");
    }

    private static String first(Map<String, List<String>> form, String key) {
        List<String> v = form.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isIntegralNumber() && !field.equals("message")) {
            return v.asText(); // ids may come as numbers
        }
        throw ServiceException.badRequest("field '" + field + "' must be a string");
    }
}

package dev.lectern.ai.llm.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.ai.llm.ChatMessage;
import dev.lectern.ai.llm.ChatRequest;
import dev.lectern.ai.llm.ChatStream;
import dev.lectern.ai.llm.ChatStreamListener;
import dev.lectern.ai.llm.CompletionChunk;
import dev.lectern.ai.llm.LlmException;
import dev.lectern.ai.llm.ModelProvider;
import dev.lectern.ai.llm.PullStream;
import dev.lectern.ai.llm.SseEventParser;
import dev.lectern.ai.llm.Usage;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.json.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ConnectTimeoutException;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams chat completions from one OpenAI-compatible endpoint ({@code POST {baseUrl}/chat/completions} with
 * {@code stream:true} and {@code stream_options.include_usage}). Handles the provider quirks (see
 * {@link CompletionChunk}), connect / first-token / idle timeouts, a retry only before the first token, TCP
 * backpressure through {@link UpstreamReadGate}, and cancellation that closes the upstream connection at once.
 * The connection lives on the executor the request names ({@link ChatRequest#executor()}) when that is an event loop
 * of the client's transport: the answer is read there.
 */
public final class OpenAiCompatibleProvider implements ModelProvider {
    private static final Logger logger = LoggerFactory.getLogger(OpenAiCompatibleProvider.class);
    private static final int MAX_LINE_BYTES = 1 << 20;
    private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

    private final AiConfig.Provider provider;
    private final Optional<Secret> apiKey;
    private final AiConfig config;
    private final StreamingHttpClient http;
    private final ScheduledExecutorService timers;
    private final URI url;

    public OpenAiCompatibleProvider(AiConfig.Provider provider, Optional<Secret> apiKey, AiConfig config,
                                    StreamingHttpClient http, ScheduledExecutorService timers) {
        this.provider = provider;
        this.apiKey = apiKey;
        this.config = config;
        this.http = http;
        this.timers = timers;
        String base = provider.baseUrl();
        this.url = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/chat/completions");
    }

    @Override
    public String name() {
        return provider.name();
    }

    @Override
    public ChatStream stream(ChatRequest request, ChatStreamListener listener) {
        UpstreamStream s = new UpstreamStream(request, listener);
        s.attempt();
        return s;
    }

    byte[] body(ChatRequest request) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("model", request.model());
        ArrayNode messages = root.putArray("messages");
        for (ChatMessage m : request.messages()) {
            messages.addObject().put("role", m.role()).put("content", m.content());
        }
        root.put("stream", true);
        root.putObject("stream_options").put("include_usage", true);
        root.put("temperature", request.temperature());
        root.put("max_tokens", request.maxTokens());
        return Json.writeBytes(root);
    }

    /** One answer: possibly several upstream attempts, but only until the first text has been delivered. */
    private final class UpstreamStream extends PullStream {
        private final ChatRequest request;
        private final byte[] body;
        private volatile Attempt current;
        private volatile boolean textSeen;

        /** Whether the reader asked for no more text for now (the read gate and the idle timer ask). */
        boolean paused() {
            return isPaused();
        }
        private int attempts;

        UpstreamStream(ChatRequest request, ChatStreamListener listener) {
            super(listener);
            this.request = request;
            this.body = body(request);
        }

        @Override
        public boolean offline() {
            return false;
        }

        void attempt() {
            synchronized (this) {
                attempts++;
            }
            Attempt a = new Attempt(this);
            current = a;
            a.start();
        }

        /** An attempt failed: retry when allowed, else end the stream with the error. */
        void failed(Attempt a, LlmException e) {
            if (a != current || isTerminated()) {
                return;
            }
            a.stop();
            boolean retry;
            synchronized (this) {
                retry = e.retryable() && !textSeen && attempts <= config.maxRetries();
            }
            if (retry) {
                logger.atInfo().addKeyValue("provider", provider.name()).addKeyValue("code", e.code())
                        .log("model request failed before the first token; retrying");
                timers.schedule(() -> {
                    if (!isTerminated()) {
                        attempt();
                    }
                }, config.retryBackoffMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            logger.atWarn().addKeyValue("provider", provider.name()).addKeyValue("code", e.code())
                    .log("model stream failed: {}", e.getMessage());
            emitError(e);
        }

        void text(Attempt a, String t, long receivedNanos) {
            if (a != current || t.isEmpty()) {
                return;
            }
            textSeen = true;
            emitText(t, receivedNanos);
        }

        void complete(Attempt a, String finishReason, Usage usage) {
            if (a != current) {
                return;
            }
            a.stop();
            emitComplete(finishReason, usage);
        }

        @Override
        protected void pauseProducer() {
            Attempt a = current;
            if (a != null) {
                a.gate.update();
            }
        }

        @Override
        protected void resumeProducer() {
            Attempt a = current;
            if (a != null) {
                a.touch();
                a.gate.update();
            }
        }

        @Override
        protected void onCancel() {
            Attempt a = current;
            if (a != null) {
                a.abort();
            }
        }
    }

    /** One HTTP request to the provider, with its own timers and parser. */
    private final class Attempt implements StreamingHttpClient.Handler {
        private final UpstreamStream stream;
        private final UpstreamReadGate gate;
        private final SseEventParser parser;
        private final ByteArrayOutputStream errorBody = new ByteArrayOutputStream();
        private volatile StreamingHttpClient.Cancellable connection;
        private volatile ScheduledFuture<?> timer;
        private volatile long lastActivityNanos = System.nanoTime();
        private long partNanos;
        private volatile boolean stopped;
        private int status;
        private boolean gotText;
        private String finishReason;
        private Usage usage;
        private boolean done;

        Attempt(UpstreamStream stream) {
            this.stream = stream;
            this.gate = new UpstreamReadGate(stream::paused);
            this.parser = new SseEventParser(this::onData, MAX_LINE_BYTES);
        }

        void start() {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Content-Type", "application/json");
            headers.put("Accept", "text/event-stream");
            apiKey.ifPresent(k -> headers.put("Authorization", "Bearer " + k.reveal()));
            if (!provider.referer().isEmpty()) {
                headers.put("HTTP-Referer", provider.referer());
            }
            if (!provider.title().isEmpty()) {
                headers.put("X-OpenRouter-Title", provider.title());
                headers.put("X-Title", provider.title());
            }
            schedule(config.firstTokenTimeoutMillis());
            try {
                connection = http.post(url, headers, stream.body, stream.request.executor(), this);
            } catch (RuntimeException e) {
                stream.failed(this, new LlmException("upstream_unavailable",
                        "the model provider " + provider.name() + " could not be reached", true));
            }
        }

        void touch() {
            lastActivityNanos = System.nanoTime();
        }

        private void schedule(long delayMillis) {
            if (stopped) {
                return;
            }
            timer = timers.schedule(this::checkTimeout, Math.max(1, delayMillis), TimeUnit.MILLISECONDS);
        }

        private void checkTimeout() {
            if (stopped) {
                return;
            }
            synchronized (this) {
                if (!gotText) {
                    fail(new LlmException("upstream_timeout", "the model did not start answering within "
                            + config.firstTokenTimeoutMillis() + " ms", true));
                    return;
                }
            }
            long idleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastActivityNanos);
            if (stream.paused() || idleMillis < config.idleTimeoutMillis()) {
                // Waiting for a slow client is not an upstream stall.
                schedule(stream.paused() ? config.idleTimeoutMillis() : config.idleTimeoutMillis() - idleMillis);
                return;
            }
            fail(new LlmException("upstream_timeout", "the model stopped sending for "
                    + config.idleTimeoutMillis() + " ms", false));
        }

        private void fail(LlmException e) {
            abort();
            stream.failed(this, e);
        }

        /** Stops timers; the connection is left to finish or is aborted by the caller. */
        void stop() {
            stopped = true;
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
        }

        void abort() {
            stop();
            gate.close();
            StreamingHttpClient.Cancellable c = connection;
            if (c != null) {
                c.cancel();
            }
        }

        @Override
        public void onConnected(StreamingHttpClient.Cancellable call) {
            gate.attach(call);
            if (stopped) {
                call.cancel();
            }
        }

        @Override
        public void onResponse(int code) {
            status = code;
            touch();
        }

        @Override
        public void onContent(ByteBuf content) {
            if (stopped) {
                return;
            }
            partNanos = System.nanoTime();
            lastActivityNanos = partNanos;
            if (status != 200) {
                int room = MAX_ERROR_BODY_BYTES - errorBody.size();
                if (room > 0) {
                    byte[] bytes = ByteBufUtil.getBytes(content, content.readerIndex(),
                            Math.min(room, content.readableBytes()));
                    errorBody.write(bytes, 0, bytes.length);
                }
                return;
            }
            try {
                parser.feed(ByteBufUtil.getBytes(content));
            } catch (IllegalStateException e) {
                fail(new LlmException("upstream_protocol", "the model provider sent an oversized stream line", false));
            }
        }

        private void onData(String data) {
            if (done || stopped) {
                return;
            }
            CompletionChunk chunk = CompletionChunk.parse(data);
            if (chunk instanceof CompletionChunk.Done) {
                done = true;
                finish();
            } else if (chunk instanceof CompletionChunk.Failed f) {
                done = true;
                boolean retryable;
                synchronized (this) {
                    retryable = !gotText;
                }
                fail(new LlmException("upstream_error", "the model stopped with an error: " + f.message(), retryable));
            } else if (chunk instanceof CompletionChunk.Delta d) {
                if (d.usage() != null) {
                    usage = d.usage();
                }
                if (d.finishReason() != null) {
                    finishReason = d.finishReason();
                }
                if (!d.text().isEmpty()) {
                    boolean first;
                    synchronized (this) {
                        first = !gotText;
                        gotText = true;
                    }
                    if (first) {
                        ScheduledFuture<?> t = timer;
                        if (t != null) {
                            t.cancel(false);
                        }
                        schedule(config.idleTimeoutMillis()); // from now on the idle timeout applies
                    }
                    stream.text(this, d.text(), partNanos);
                }
            }
        }

        private void finish() {
            stream.complete(this, finishReason == null ? "stop" : finishReason, usage);
        }

        @Override
        public void onError(Throwable t) {
            if (stopped) {
                return;
            }
            boolean before;
            synchronized (this) {
                before = !gotText;
            }
            if (t instanceof ConnectTimeoutException) {
                stream.failed(this, new LlmException("upstream_timeout",
                        "the model provider " + provider.name() + " did not answer in time", true));
            } else if (t instanceof ConnectException || t instanceof UnknownHostException) {
                stream.failed(this, new LlmException("upstream_unavailable",
                        "the model provider " + provider.name() + " could not be reached", true));
            } else {
                stream.failed(this, new LlmException("upstream_disconnected",
                        "the connection to the model provider broke", before));
            }
        }

        @Override
        public void onEnd() {
            if (stopped) {
                return;
            }
            if (status != 200) {
                stream.failed(this, httpError(status, errorBody.toString(StandardCharsets.UTF_8)));
                return;
            }
            parser.finish();
            if (!done && !stopped) {
                if (finishReason != null) {
                    finish(); // a provider that omits [DONE] but did finish
                } else {
                    boolean before;
                    synchronized (this) {
                        before = !gotText;
                    }
                    stream.failed(this, new LlmException("upstream_incomplete",
                            "the model's answer ended before it was complete", before));
                }
            }
        }
    }

    /** A non-200 answer: the provider's own message where it is safe to show. */
    static LlmException httpError(int status, String body) {
        String detail = "";
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            JsonNode message = root == null ? null : root.path("error").get("message");
            if (message != null && message.isTextual()) {
                detail = message.textValue();
            }
        } catch (Exception ignored) {
            // not JSON: no detail
        }
        if (detail.length() > 200) {
            detail = detail.substring(0, 200) + "…";
        }
        if (status == 401 || status == 403) {
            return new LlmException("upstream_auth", "the model provider refused our credentials (HTTP " + status
                    + "); check the API key", false);
        }
        if (status == 429) {
            return new LlmException("upstream_rate_limited", "the model provider is rate-limiting us (HTTP 429)"
                    + (detail.isEmpty() ? "" : ": " + detail), true);
        }
        boolean retryable = status >= 500 || status == 408;
        return new LlmException(retryable ? "upstream_unavailable" : "upstream_rejected",
                "the model provider answered HTTP " + status + (detail.isEmpty() ? "" : ": " + detail), retryable);
    }
}

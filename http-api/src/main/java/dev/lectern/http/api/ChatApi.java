package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.AiPipeline;
import dev.lectern.ai.conversation.Turn;
import dev.lectern.ai.llm.ChatException;
import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.Access;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import dev.lectern.http.multipart.MultipartFieldDecoder;
import dev.lectern.http.sse.EventStream;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/** The AI tutor's routes: the chat stream (SSE), the model list and the per-user model choice. */
public final class ChatApi {
    private final AiPipeline ai;
    private final Executor blocking;
    private final long keepAliveMillis;
    private final Timer gatewayLatency;
    private final Timer startLatency;
    private final Timer askLatency;
    private final Timer firstTextAdded;

    public ChatApi(AiPipeline ai, Executor blocking, long keepAliveMillis, MeterRegistry meters) {
        this.ai = ai;
        this.blocking = blocking;
        this.keepAliveMillis = keepAliveMillis;
        this.gatewayLatency = Timer.builder("lectern.chat.gateway.latency")
                .description("time from a model chunk arriving to its SSE event being written to the client")
                .publishPercentiles(0.5, 0.99)
                // a histogram with a bucket at the 1 ms objective, so that a scrape tells how many events met it
                .publishPercentileHistogram()
                .serviceLevelObjectives(java.time.Duration.ofMillis(1))
                .minimumExpectedValue(java.time.Duration.ofNanos(10_000))
                .maximumExpectedValue(java.time.Duration.ofSeconds(10))
                .register(meters);
        this.startLatency = Timer.builder("lectern.chat.start.latency")
                .description("time from a chat request parsed to its stream's head and first event handed to the"
                        + " connection (before the question is stored and the model asked)")
                .publishPercentiles(0.5, 0.99)
                .register(meters);
        this.askLatency = Timer.builder("lectern.chat.ask.latency")
                .description("time from a chat request parsed to the model's request handed to its connection (the"
                        + " question stored, history, persona and retrieval read): with lectern.chat.gateway.latency,"
                        + " what Lectern adds before the first word beyond the model's own time")
                .publishPercentiles(0.5, 0.99)
                .register(meters);
        this.firstTextAdded = Timer.builder("lectern.chat.first.text.added")
                .description("what Lectern adds to the model's own time before the first word: request parsed ->"
                        + " the first text event on the client's socket, minus model asked -> its first chunk in")
                .publishPercentiles(0.5, 0.99)
                .register(meters);
    }

    public void register(Router.Builder routes) {
        routes.post("/api/chat/stream").access(Access.USER).tag("chat")
                .consumes("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
                .summary("Ask the tutor; the answer streams as text/event-stream: {status:started}, "
                        + "{status:streaming,chunk} per piece, then {status:complete,session_id,text,usage} or "
                        + "{status:error,code,message} or {status:interrupted,reason}")
                .example(Map.of("message", "What is a derivative?", "session_id", "optional", "companion_id", "optional"))
                .errors(400, 401, 404, 413, 415, 429, 503)
                .request(Input.class).returns(200, ChatEvent.class)
                .sse(keepAliveMillis, this::chat);
        routes.get("/api/llm/models").access(Access.USER).tag("chat").blocking()
                .summary("The configured models, the default, and the caller's active model")
                .returns(200, ModelsReply.class)
                .handle(this::models);
        routes.get("/api/tts/models").access(Access.USER).tag("chat")
                .summary("The text-to-speech engines, keyed by name: full_name, clone, status (active: answers are"
                        + " spoken with it; available; unavailable), license, timbres (voices a companion may name),"
                        + " cur_timbre")
                .returns(200, dev.lectern.http.Types.mapOf(dev.lectern.ai.tts.TtsModel.class))
                .handle(r -> ApiResponse.json(ai.ttsDescription()).async());
        routes.post("/api/llm/activate").access(Access.USER).tag("chat").blocking().json()
                .summary("Choose the caller's model from the configured list")
                .example(Map.of("model", "google/gemini-2.5-flash"))
                .errors(400, 401)
                .request(Activate.class).returns(200, ActivateReply.class)
                .handle(this::activate);
    }

    /**
     * Parses the question (JSON or form; the dispatcher has read and limited the body), then, in one task on the
     * blocking executor, opens the turn with reads only (refusals before the stream, 400, 404, 429, become JSON errors;
     * a full executor a 503) and hands the stream to the connection, then begins the turn on the same thread: the
     * question is stored and the model asked while the stream's head goes out, without a second trip through the
     * executor's queue.
     */
    private CompletionStage<EventStream> chat(ApiRequest r, Executor eventLoop) {
        long parsed = System.nanoTime();
        Input input = parse(r);
        String userId = r.requirePrincipal().userId();
        ChatTurnStream stream = new ChatTurnStream(eventLoop, gatewayLatency, startLatency, parsed, firstTextAdded);
        CompletableFuture<EventStream> opened = new CompletableFuture<>();
        try {
            blocking.execute(() -> {
                Turn turn;
                try {
                    // reads only: what could refuse the question
                    turn = ai.conversations().open(userId, input.message(), input.sessionId(), input.companionId(),
                            stream);
                } catch (ChatException e) {
                    opened.completeExceptionally(new ServiceException(e.status(), e.code(), e.getMessage(),
                            e.retryAfterSeconds() > 0
                                    ? Map.of("Retry-After", Long.toString(e.retryAfterSeconds())) : Map.of()));
                    return;
                } catch (RuntimeException e) {
                    opened.completeExceptionally(e);
                    return;
                }
                stream.attach(turn);
                turn.beginAfter(() -> opened.complete(stream));
                if (turn.asked()) {
                    long asked = System.nanoTime();
                    stream.asked(asked);
                    askLatency.record(asked - parsed, TimeUnit.NANOSECONDS);
                }
            });
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new ServiceException(503, "server_busy",
                    "the server is busy; try again", Map.of("Retry-After", "1")));
        }
        return opened;
    }

    /**
     * The request body (JSON, a URL-encoded form, or a multipart form as the Virtual Tutor front end sends it):
     * {@code message}, optional {@code session_id} and {@code companion_id}.
     */
    record Input(String message, @JsonProperty("session_id") String sessionId,
                 @JsonProperty("companion_id") String companionId) {}

    /** {@code {"model": "…"}}. */
    record Activate(String model) {}

    /** The seed's {@code {status, message, model}}, and {@code msg} and Lectern's {@code active} beside them. */
    public record ActivateReply(String status, String message, String model, String msg, String active) {}

    public record ModelView(String id, String provider, boolean offline) {}

    public record ModelsReply(String msg, List<ModelView> models, @JsonProperty("default") String defaultModel,
                              String active) {}

    static Input parse(ApiRequest r) {
        if (r.isForm() || MultipartFieldDecoder.isMultipart(r)) {
            Map<String, List<String>> form = r.isForm() ? r.form() : MultipartFieldDecoder.decode(r);
            return new Input(first(form, "message"), first(form, "session_id"), first(form, "companion_id"));
        }
        if (r.isJson()) {
            JsonNode n = r.jsonObject();
            return new Input(text(n, "message"), text(n, "session_id"), text(n, "companion_id"));
        }
        throw new ServiceException(415, "unsupported_media_type",
                "content type must be application/json, application/x-www-form-urlencoded or multipart/form-data");
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

    private CompletionStage<ApiResponse> models(ApiRequest r) {
        ModelCatalog catalog = ai.models();
        List<ModelView> list = catalog.models().stream()
                .map(m -> new ModelView(m.id(), m.provider(), m.offline())).toList();
        return ApiResponse.json(new ModelsReply("Models retrieved successfully", list, catalog.defaultModel(),
                catalog.activeModel(r.requirePrincipal().userId()))).async();
    }

    private CompletionStage<ApiResponse> activate(ApiRequest r) {
        JsonNode body = r.jsonObject();
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual() || model.textValue().isBlank()) {
            throw ServiceException.badRequest("field 'model' is required and must be a string");
        }
        try {
            ai.models().activate(r.requirePrincipal().userId(), model.textValue());
        } catch (ChatException e) {
            throw new ServiceException(e.status(), e.code(), e.getMessage());
        }
        return ApiResponse.json(new ActivateReply("success", "Model activated", model.textValue(), "Model activated",
                model.textValue())).async();
    }
}

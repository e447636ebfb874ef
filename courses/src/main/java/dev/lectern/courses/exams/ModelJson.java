package dev.lectern.courses.exams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.llm.ChatMessage;
import dev.lectern.ai.llm.ChatRequest;
import dev.lectern.ai.llm.ChatStream;
import dev.lectern.ai.llm.ChatStreamListener;
import dev.lectern.ai.llm.LlmException;
import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.ai.llm.ModelProvider;
import dev.lectern.ai.llm.OfflineProvider;
import dev.lectern.ai.llm.Usage;
import dev.lectern.core.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Asks a model for one JSON object that a validator accepts. An answer that is not JSON, or that the validator
 * rejects, is sent back with the errors and asked again, up to {@code attempts} answers in all; then the call fails
 * with {@code model_output_invalid} and the last errors. Blocking: call it from a worker thread.
 */
public final class ModelJson {
    static final int MAX_ANSWER_CHARS = 512 * 1024;

    private final ModelCatalog models;
    private final long timeoutMillis;
    private final int attempts;

    /** Thrown when the model cannot give a valid answer; {@code code}: model_not_configured, model_error, ... */
    public static final class ModelJsonException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String code;
        private final transient List<String> errors;

        ModelJsonException(String code, String message, List<String> errors) {
            super(message);
            this.code = code;
            this.errors = List.copyOf(errors);
        }

        public String code() {
            return code;
        }

        public List<String> errors() {
            return errors;
        }
    }

    /**
     * @param timeoutMillis per model answer
     * @param attempts      answers asked for at most (the first and the retries with errors)
     */
    public ModelJson(ModelCatalog models, long timeoutMillis, int attempts) {
        this.models = models;
        this.timeoutMillis = timeoutMillis;
        this.attempts = attempts;
    }

    /**
     * The first answer the validator accepts (the validator returns the errors of a parsed object, empty when fine).
     *
     * @param model     "" for the default model
     * @param cancelled polled before each request
     */
    public JsonNode ask(String model, String system, String user, int maxTokens, Function<JsonNode, List<String>> validator,
                        BooleanSupplier cancelled) {
        String id = model == null || model.isBlank() ? models.defaultModel() : model.strip();
        ModelProvider provider;
        try {
            provider = models.provider(id);
        } catch (IllegalArgumentException e) {
            throw new ModelJsonException("invalid_request", "model '" + id + "' is not configured", List.of());
        }
        if (provider instanceof OfflineProvider) {
            throw new ModelJsonException("model_not_configured", "no language model is configured (ai.providers)",
                    List.of());
        }
        List<ChatMessage> messages = new ArrayList<>(List.of(new ChatMessage("system", system),
                new ChatMessage("user", user)));
        List<String> errors = List.of();
        for (int i = 1; i <= attempts; i++) {
            if (cancelled.getAsBoolean()) {
                throw new ModelJsonException("cancelled", "cancelled", List.of());
            }
            String text = answer(provider, new ChatRequest(id, messages, 0.2, maxTokens));
            JsonNode root = null;
            int from = text.indexOf('{');
            int to = text.lastIndexOf('}');
            if (from < 0 || to < from) {
                errors = List.of("$: the answer holds no JSON object");
            } else {
                try {
                    root = Json.MAPPER.readTree(text.substring(from, to + 1));
                    errors = validator.apply(root);
                } catch (JsonProcessingException e) {
                    errors = List.of("$: not valid JSON (" + clip(e.getOriginalMessage(), 200) + ")");
                }
            }
            if (errors.isEmpty()) {
                return root;
            }
            messages.add(new ChatMessage("assistant", clip(text, 20_000)));
            messages.add(new ChatMessage("user", "That answer is not valid:\n- " + String.join("\n- ",
                    errors.subList(0, Math.min(20, errors.size()))) + "\nReturn the whole corrected answer as one "
                    + "JSON object, and nothing else."));
        }
        throw new ModelJsonException("model_output_invalid", "the model's answer was invalid " + attempts
                + " times: " + String.join("; ", errors.subList(0, Math.min(5, errors.size()))), errors);
    }

    private String answer(ModelProvider provider, ChatRequest request) {
        CompletableFuture<String> done = new CompletableFuture<>();
        StringBuilder text = new StringBuilder();
        ChatStream[] stream = new ChatStream[1];
        stream[0] = provider.stream(request, new ChatStreamListener() {
            @Override
            public void onText(String piece, long receivedNanos) {
                if (text.length() + piece.length() > MAX_ANSWER_CHARS) {
                    done.completeExceptionally(new ModelJsonException("model_output_invalid",
                            "the model's answer is longer than " + MAX_ANSWER_CHARS + " characters", List.of()));
                    return;
                }
                text.append(piece);
            }

            @Override
            public void onComplete(String finishReason, Usage usage) {
                done.complete(text.toString());
            }

            @Override
            public void onError(LlmException error) {
                done.completeExceptionally(error);
            }
        });
        stream[0].request(Long.MAX_VALUE);
        try {
            return done.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            stream[0].cancel();
            throw new ModelJsonException("model_timeout", "the model did not answer within " + timeoutMillis + " ms",
                    List.of());
        } catch (InterruptedException e) {
            stream[0].cancel();
            Thread.currentThread().interrupt();
            throw new ModelJsonException("cancelled", "interrupted", List.of());
        } catch (ExecutionException e) {
            stream[0].cancel();
            if (e.getCause() instanceof ModelJsonException me) {
                throw me;
            }
            String why = e.getCause() instanceof LlmException le ? le.code() + ": " + le.getMessage()
                    : String.valueOf(e.getCause());
            throw new ModelJsonException("model_error", "the model failed (" + why + ")", List.of());
        }
    }

    static String clip(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }
}

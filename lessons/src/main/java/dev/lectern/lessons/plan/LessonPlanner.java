package dev.lectern.lessons.plan;

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
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.core.json.Json;
import dev.lectern.lessons.plan.Cancellation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the model for a lesson plan as JSON, checks it with the {@link PlanValidator}, and on failure asks once more
 * with the validation errors in the prompt; a second invalid plan fails with {@code plan_invalid} and the errors.
 * Without a configured model it fails with {@code model_not_configured}: no plan is ever made up. A caller's own
 * scenes skip the model ({@link #fromScenes}). Blocking: call it from a worker thread.
 */
public final class LessonPlanner {
    private static final Logger logger = LoggerFactory.getLogger(LessonPlanner.class);
    public static final int MAX_PROMPT_CHARS = 4000;
    static final int MAX_ANSWER_CHARS = 256 * 1024;
    static final int MAX_SOURCE_CHARS = 700;
    public static final int MAX_SOURCES = 8;
    private static final double TEMPERATURE = 0.4;

    private final ModelCatalog models;
    private final PlanValidator validator;
    private final long timeoutMillis;

    /** What to plan: the user's prompt, how many scenes, the passages to ground it in, and the model ("" = default). */
    public record Request(String prompt, int sceneCount, List<Passage> sources, String model) {
        public Request {
            sources = sources == null ? List.of() : List.copyOf(sources);
            model = model == null ? "" : model.strip();
        }
    }

    public LessonPlanner(ModelCatalog models, PlanValidator validator, long timeoutMillis) {
        this.models = models;
        this.validator = validator;
        this.timeoutMillis = timeoutMillis;
    }

    public LessonPlan plan(Request request, Cancellation cancel) {
        String prompt = request.prompt() == null ? "" : request.prompt().strip();
        if (prompt.isEmpty() || prompt.codePointCount(0, prompt.length()) > MAX_PROMPT_CHARS) {
            throw new PlanException("invalid_request", "prompt must be 1-" + MAX_PROMPT_CHARS + " characters");
        }
        if (request.sceneCount() < 1 || request.sceneCount() > validator.maxScenes()) {
            throw new PlanException("invalid_request", "sceneCount must be 1-" + validator.maxScenes());
        }
        if (request.sources().size() > MAX_SOURCES) {
            throw new PlanException("invalid_request", "at most " + MAX_SOURCES + " sources may ground a lesson");
        }
        String model = request.model().isEmpty() ? models.defaultModel() : request.model();
        ModelProvider provider;
        try {
            provider = models.provider(model);
        } catch (IllegalArgumentException e) {
            throw new PlanException("invalid_request", "model '" + model + "' is not configured");
        }
        if (provider instanceof OfflineProvider) {
            throw new PlanException("model_not_configured", "no language model is configured (ai.providers), so a "
                    + "lesson cannot be planned; send the scenes yourself or configure a model");
        }
        int scenes = request.sceneCount();
        List<ChatMessage> messages = new ArrayList<>(List.of(
                new ChatMessage("system", systemPrompt(scenes, request.sources().size())),
                new ChatMessage("user", userPrompt(prompt, scenes, request.sources()))));
        int maxTokens = Math.min(16_000, 600 + 450 * Math.max(1, scenes));
        List<String> errors = List.of();
        for (int attempt = 1; attempt <= 2; attempt++) {
            Answer answer = complete(provider, new ChatRequest(model, messages, TEMPERATURE, maxTokens), cancel);
            PlanValidator.Result result = check(answer, scenes, request.sources());
            if (result.valid()) {
                return result.plan();
            }
            errors = result.errors();
            logger.info("lesson plan attempt {} invalid: {} errors", attempt, errors.size());
            messages.add(new ChatMessage("assistant", clip(answer.text(), 20_000)));
            messages.add(new ChatMessage("user", "That plan is not valid:\n- " + String.join("\n- ", errors)
                    + "\nReturn the whole corrected plan as one JSON object, and nothing else."));
        }
        throw new PlanException("plan_invalid", "the model's lesson plan was invalid twice", errors);
    }

    /** The caller's own scenes, checked by the same rules; invalid ones fail with {@code invalid_scenes}. */
    public LessonPlan fromScenes(String title, JsonNode scenes, List<Passage> sources) {
        PlanValidator.Result r = validator.validateScenes(scenes, title, sources == null ? List.of() : sources);
        if (!r.valid()) {
            throw new PlanException("invalid_scenes", "the scenes are invalid", r.errors());
        }
        return r.plan();
    }

    private record Answer(String text, String finishReason) {}

    private PlanValidator.Result check(Answer answer, int scenes, List<Passage> sources) {
        if ("length".equals(answer.finishReason())) {
            return new PlanValidator.Result(null, List.of("$: the answer was cut off at the token limit; write "
                    + "shorter narration so the whole plan fits"));
        }
        String text = answer.text();
        int from = text.indexOf('{');
        int to = text.lastIndexOf('}');
        if (from < 0 || to < from) {
            return new PlanValidator.Result(null, List.of("$: the answer holds no JSON object"));
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text.substring(from, to + 1)); // without any ``` fences or prose around it
        } catch (JsonProcessingException e) {
            return new PlanValidator.Result(null, List.of("$: not valid JSON (" + clip(e.getOriginalMessage(), 200)
                    + ")"));
        }
        return validator.validatePlan(root, scenes, sources);
    }

    /** The model's whole answer; fails with {@code plan_timeout}, {@code model_error} or {@code cancelled}. */
    private Answer complete(ModelProvider provider, ChatRequest request, Cancellation cancel) {
        if (cancel.isCancelled()) {
            throw new PlanException("cancelled", "the planning was cancelled");
        }
        CompletableFuture<Answer> done = new CompletableFuture<>();
        StringBuilder text = new StringBuilder();
        AtomicReference<ChatStream> streamRef = new AtomicReference<>();
        ChatStream stream = provider.stream(request, new ChatStreamListener() {
            @Override
            public void onText(String piece, long receivedNanos) {
                if (text.length() + piece.length() > MAX_ANSWER_CHARS) {
                    done.completeExceptionally(new PlanException("plan_invalid", "the model's answer is too long"));
                    ChatStream s = streamRef.get();
                    if (s != null) {
                        s.cancel();
                    }
                    return;
                }
                text.append(piece);
            }

            @Override
            public void onComplete(String finishReason, Usage usage) {
                done.complete(new Answer(text.toString(), finishReason));
            }

            @Override
            public void onError(LlmException error) {
                done.completeExceptionally(error);
            }
        });
        streamRef.set(stream);
        stream.request(Long.MAX_VALUE);
        try (Cancellation.Registration r = cancel.onCancel(() -> {
            stream.cancel();
            done.cancel(false);
        })) {
            return done.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            stream.cancel();
            throw new PlanException("plan_timeout", "the model did not return a plan within " + timeoutMillis
                    + " ms (lessons.planTimeoutMillis)");
        } catch (CancellationException e) {
            throw new PlanException("cancelled", "the planning was cancelled");
        } catch (InterruptedException e) {
            stream.cancel();
            Thread.currentThread().interrupt();
            throw new PlanException("cancelled", "the planning was cancelled");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PlanException pe) {
                throw pe;
            }
            if (e.getCause() instanceof LlmException le) {
                throw new PlanException("model_error", "the model failed (" + le.code() + "): " + le.getMessage());
            }
            throw new PlanException("model_error", "the model failed: " + e.getCause());
        }
    }

    private String systemPrompt(int scenes, int sources) {
        return "You write short narrated video lessons: a sequence of slides, each with narration spoken over it. "
                + "Answer with one JSON object and nothing else (no prose, no code fences). It must match this JSON "
                + "Schema:\n" + validator.schema(scenes, sources) + "\nRules: each scene's narration is what the "
                + "narrator says over that slide, two to five full sentences of plain spoken language (no markdown, no "
                + "LaTeX; say symbols in words). Bullets are short phrases, in the order the narration reaches them. "
                + "Use a block for one key formula (Unicode symbols such as ∫ ² ≤ π, not LaTeX) or a short code "
                + "listing. The visual field describes what an illustrator should add. "
                + (sources == 0 ? "Leave sources empty."
                        : "Ground the lesson in the numbered sources given and list, per scene, the numbers of the "
                        + "sources it relies on.");
    }

    private static String userPrompt(String prompt, int scenes, List<Passage> sources) {
        StringBuilder b = new StringBuilder("Lesson request: ").append(prompt).append("\nNumber of scenes: exactly ")
                .append(scenes).append('.');
        if (!sources.isEmpty()) {
            b.append("\nSources:");
            for (int i = 0; i < sources.size(); i++) {
                Passage p = sources.get(i);
                b.append("\n[").append(i + 1).append("] ").append(p.filename());
                if (p.page() > 0) {
                    b.append(", page ").append(p.page());
                }
                b.append(": \"").append(clip(p.text().replaceAll("\\s+", " ").strip(), MAX_SOURCE_CHARS)).append('"');
            }
        }
        return b.toString();
    }

    private static String clip(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }
}

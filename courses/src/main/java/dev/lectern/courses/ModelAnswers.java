package dev.lectern.courses;

import dev.lectern.ai.llm.ChatMessage;
import dev.lectern.ai.llm.ChatRequest;
import dev.lectern.ai.llm.ChatStream;
import dev.lectern.ai.llm.ChatStreamListener;
import dev.lectern.ai.llm.LlmException;
import dev.lectern.ai.llm.ModelProvider;
import dev.lectern.ai.llm.Usage;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The configured model, for the course features: a streamed answer, or a whole one collected (blocking). */
public final class ModelAnswers {
    private final ModelProvider provider;
    private final String model;

    /** @param provider null when no model is configured (answers then fail with {@code no_model}) */
    public ModelAnswers(ModelProvider provider, String model) {
        this.provider = provider;
        this.model = model;
    }

    public boolean configured() {
        return provider != null;
    }

    public ChatStream stream(List<ChatMessage> messages, int maxTokens, ChatStreamListener listener) {
        if (provider == null) {
            throw new LlmException("no_model", "no model is configured", false);
        }
        return provider.stream(new ChatRequest(model, messages, 0.2, maxTokens), listener);
    }

    /** The whole answer, within {@code timeoutMillis}. */
    public String complete(List<ChatMessage> messages, int maxTokens, long timeoutMillis) throws Exception {
        StringBuilder text = new StringBuilder();
        CompletableFuture<String> done = new CompletableFuture<>();
        ChatStream s = stream(messages, maxTokens, new ChatStreamListener() {
            @Override
            public void onText(String t, long receivedNanos) {
                synchronized (text) {
                    text.append(t);
                }
            }

            @Override
            public void onComplete(String finishReason, Usage usage) {
                synchronized (text) {
                    done.complete(text.toString());
                }
            }

            @Override
            public void onError(LlmException error) {
                done.completeExceptionally(error);
            }
        });
        s.request(Long.MAX_VALUE);
        try {
            return done.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            s.cancel();
            throw new LlmException("upstream_timeout", "the model took longer than " + timeoutMillis + " ms", true);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}

package dev.lectern.ai.llm;

import java.util.List;
import java.util.concurrent.Executor;

/**
 * What is sent to a model: the model id, the conversation, and sampling limits. {@code executor} is where the caller
 * wants the answer: a provider that reads from the network may read it there when it can (the client connection's
 * event loop, so nothing changes threads), else on its own threads; null for no preference.
 */
public record ChatRequest(String model, List<ChatMessage> messages, double temperature, int maxTokens, Executor executor) {
    public ChatRequest {
        messages = List.copyOf(messages);
    }

    public ChatRequest(String model, List<ChatMessage> messages, double temperature, int maxTokens) {
        this(model, messages, temperature, maxTokens, null);
    }

    public long promptChars() {
        long n = 0;
        for (ChatMessage m : messages) {
            n += m.content().length();
        }
        return n;
    }
}

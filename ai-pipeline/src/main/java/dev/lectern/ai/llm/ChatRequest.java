package dev.lectern.ai.llm;

import java.util.List;

/** What is sent to a model: the model id, the conversation, and sampling limits. */
public record ChatRequest(String model, List<ChatMessage> messages, double temperature, int maxTokens) {
    public ChatRequest {
        messages = List.copyOf(messages);
    }

    public long promptChars() {
        long n = 0;
        for (ChatMessage m : messages) {
            n += m.content().length();
        }
        return n;
    }
}

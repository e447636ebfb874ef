package dev.lectern.ai.llm;

import io.netty.channel.EventLoop;
import java.util.List;

/**
 * What is sent to a model: the model id, the conversation, and sampling limits; {@code loop} is the event loop the
 * answer is read on (the one that writes it to the client, so nothing changes threads), or null for the provider's own.
 */
public record ChatRequest(String model, List<ChatMessage> messages, double temperature, int maxTokens, EventLoop loop) {
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

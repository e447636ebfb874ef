package dev.lectern.ai.llm;

import dev.lectern.ai.retrieval.Passage;
import java.util.List;

/** Something that can stream a chat answer: an OpenAI-compatible endpoint, or the offline provider. */
public interface ModelProvider extends AutoCloseable {
    String name();

    ChatStream stream(ChatRequest request, ChatStreamListener listener);

    /**
     * As {@link #stream(ChatRequest, ChatStreamListener)}, with the passages retrieved from the user's documents
     * (already in the prompt). Only a provider that does not read the prompt (the offline one) needs them apart.
     */
    default ChatStream stream(ChatRequest request, List<Passage> passages, ChatStreamListener listener) {
        return stream(request, listener);
    }

    @Override
    default void close() {}
}

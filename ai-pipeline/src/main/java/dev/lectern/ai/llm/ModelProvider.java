package dev.lectern.ai.llm;

/** Something that can stream a chat answer: an OpenAI-compatible endpoint, or the offline provider. */
public interface ModelProvider extends AutoCloseable {
    String name();

    ChatStream stream(ChatRequest request, ChatStreamListener listener);

    @Override
    default void close() {}
}

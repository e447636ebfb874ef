package dev.lectern.ai.llm;

/**
 * Receives one model answer. Calls never overlap and come on a provider thread, never the caller's event loop.
 * {@link #onText} is called only as often as {@link ChatStream#request} allowed; exactly one of {@link #onComplete}
 * and {@link #onError} ends the stream (none after {@link ChatStream#cancel}).
 */
public interface ChatStreamListener {
    /** A piece of answer text; {@code receivedNanos} is when its bytes arrived ({@link System#nanoTime()}). */
    void onText(String text, long receivedNanos);

    void onComplete(String finishReason, Usage usage);

    void onError(LlmException error);
}

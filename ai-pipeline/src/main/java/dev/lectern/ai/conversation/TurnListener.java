package dev.lectern.ai.conversation;

import dev.lectern.ai.llm.Usage;
import dev.lectern.ai.retrieval.Passage;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * What the SSE adapter (or a signaling room) hears about one answer. Calls never overlap but come on provider,
 * timer or blocking-executor threads; {@link #onText} may come on {@link #executor()} when the listener names one (a
 * provider that reads from the network reads there when it can), so a listener that writes from that executor can
 * check where it runs instead of hopping.
 * {@link #onText} only as often as {@link Turn#request} allowed; then exactly one of {@link #onComplete},
 * {@link #onError}, {@link #onInterrupted} (none after {@link Turn#cancel}).
 */
public interface TurnListener {
    /** Where this listener would like its calls (e.g. its connection's event loop); null for no preference. */
    default Executor executor() {
        return null;
    }

    /** A piece of answer text; {@code receivedNanos} is when it arrived from the model ({@link System#nanoTime()}). */
    void onText(String text, long receivedNanos);

    /** A sentence's audio is stored and can be fetched at {@code url}; may come from any thread, before completion. */
    default void onAudio(int sentenceIndex, String url) {}

    /**
     * As {@link #onAudio(int, String)}, with the clip's first bytes when it streams ({@code start}, of {@code mediaType};
     * empty otherwise): a client can play them at once, then the rest from the URL (the URL serves the whole clip).
     */
    default void onAudio(int sentenceIndex, String url, String mediaType, byte[] start) {
        onAudio(sentenceIndex, url);
    }

    /** The answer is complete and stored. */
    void onComplete(Result result);

    /** The model failed; what had arrived is stored as interrupted. */
    void onError(String code, String message);

    /** A newer message from the same user took over (barge-in); the partial answer is stored as interrupted. */
    void onInterrupted(String reason);

    /**
     * A complete answer. {@code notice} tells the user something about it (e.g. text only), or is null; {@code sources}
     * are the passages of the user's documents that were in the prompt (empty when none was relevant).
     */
    record Result(String sessionId, long turnId, String model, String text, Usage usage, boolean offline,
                  String notice, List<Passage> sources) {
        public Result {
            sources = sources == null ? List.of() : List.copyOf(sources);
        }
    }
}

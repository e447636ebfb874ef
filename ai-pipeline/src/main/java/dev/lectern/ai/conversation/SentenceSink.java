package dev.lectern.ai.conversation;

/**
 * Receives each sentence of an answer as the chunker releases it: the hand-off to text-to-speech and, later, to the
 * user's avatar. Called on a provider thread in answer order; must not block (hand blocking work to an executor).
 */
@FunctionalInterface
public interface SentenceSink {
    SentenceSink NONE = (turn, index, sentence) -> {};

    void accept(TurnInfo turn, int index, String sentence);

    /** The answer was cut short: queued speech for it can be dropped (barge-in). */
    default void interrupted(TurnInfo turn) {}

    /**
     * An answer is about to be asked for: called once on a thread that may block, before its first sentence, so that
     * the sink can read here what {@link #accept} needs (which must not block). A barged-in answer of the same user
     * has been {@link #interrupted} before.
     */
    default void starting(TurnInfo turn) {}

    /** The answer is over (stored, or forgotten): what {@link #starting} kept for it can go. Must not block. */
    default void ended(TurnInfo turn) {}

    /** Who and what a sentence belongs to. */
    record TurnInfo(String userId, String sessionId, long turnId, String companionId) {}
}

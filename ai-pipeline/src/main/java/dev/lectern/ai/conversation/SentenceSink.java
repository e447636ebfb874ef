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

    /** Who and what a sentence belongs to. */
    record TurnInfo(String userId, String sessionId, long turnId, String companionId) {}
}

package dev.lectern.ai.usage;

import dev.lectern.ai.llm.ChatException;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.store.EphemeralStore;
import java.time.Duration;

/**
 * Per-user usage counters (model tokens, text-to-speech characters) in the ephemeral store, each over a fixed window
 * that starts with the first use, checked against the configured budgets (0 = unlimited). Blocking (the store may be
 * Redis): call from the blocking executor.
 */
public final class UsageMeter {
    private static final String TOKENS = "usage:tokens:";
    private static final String TTS = "usage:tts:";

    private final EphemeralStore store;
    private final AiConfig.Usage budgets;
    private final Duration window;

    public UsageMeter(EphemeralStore store, AiConfig.Usage budgets) {
        this.store = store;
        this.budgets = budgets;
        this.window = Duration.ofSeconds(budgets.windowSeconds());
    }

    /** Throws a 429 {@link ChatException} when the user has used up the model budget. */
    public void checkModelBudget(String userId) {
        if (budgets.modelTokens() == 0) {
            return;
        }
        long used = store.get(TOKENS + userId).map(Long::parseLong).orElse(0L);
        if (used >= budgets.modelTokens()) {
            long retry = store.ttl(TOKENS + userId).map(Duration::toSeconds).orElse(budgets.windowSeconds());
            throw new ChatException(429, "model_budget_exceeded", "you have used your model budget of "
                    + budgets.modelTokens() + " tokens for now; try again later", Math.max(1, retry));
        }
    }

    public long addModelTokens(String userId, long tokens) {
        return tokens <= 0 ? modelTokensUsed(userId) : store.increment(TOKENS + userId, tokens, window);
    }

    public long modelTokensUsed(String userId) {
        return store.get(TOKENS + userId).map(Long::parseLong).orElse(0L);
    }

    /** Reserves {@code chars} of speech; false (and nothing counted) when that would exceed the TTS budget. */
    public boolean tryReserveSpeech(String userId, long chars) {
        if (budgets.ttsChars() == 0) {
            store.increment(TTS + userId, chars, window);
            return true;
        }
        long after = store.increment(TTS + userId, chars, window);
        if (after > budgets.ttsChars()) {
            store.increment(TTS + userId, -chars, window);
            return false;
        }
        return true;
    }
}

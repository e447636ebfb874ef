package dev.lectern.ai.usage;

import dev.lectern.ai.llm.ChatException;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.store.EphemeralStore;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

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
    /** Per user: speech reserved by a {@link SpeechAllowance} and not counted in the store yet. */
    private final ConcurrentHashMap<String, Long> unrecordedSpeech = new ConcurrentHashMap<>();

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

    /**
     * What the user may still speak in one answer: their count is read here (blocks: one store read), and each
     * sentence is then reserved in memory ({@link SpeechAllowance#tryReserve}) and counted in the store afterwards on
     * {@code writeBehind}.
     */
    public SpeechAllowance speechAllowance(String userId, Executor writeBehind) {
        // not yet counted, read before the store: a count landing in between is seen twice (refuses early), never missed
        long unrecorded = unrecordedSpeech.getOrDefault(userId, 0L);
        long stored = store.get(TTS + userId).map(Long::parseLong).orElse(0L);
        return new SpeechAllowance(this, userId, budgets.ttsChars(), stored + unrecorded, writeBehind);
    }

    /** Counts speech reserved by an allowance; returns the user's new count. Blocks (store). */
    long recordSpeech(String userId, long chars) {
        return store.increment(TTS + userId, chars, window);
    }

    void unrecordedSpeech(String userId, long delta) {
        unrecordedSpeech.compute(userId, (u, v) -> {
            long n = (v == null ? 0 : v) + delta;
            return n == 0 ? null : n;
        });
    }
}

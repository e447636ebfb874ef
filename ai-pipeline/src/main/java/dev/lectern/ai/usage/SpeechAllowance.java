package dev.lectern.ai.usage;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one answer may still speak: the user's text-to-speech count is read once when the answer begins
 * ({@link UsageMeter#speechAllowance}), then each sentence's reservation is decided here in memory, in the order the
 * sentences come, and counted in the store afterwards on a blocking executor. A sentence's speech therefore never
 * waits for the store. The budget holds exactly for the answers of one node (reservations not yet counted in the store
 * are added to what a new answer reads); answers of the same user running at the same moment on two nodes can each
 * spend what the other has not counted yet, at most the sentences reserved before the store's count reaches them:
 * once a count shows the budget passed, this answer speaks no more.
 */
public final class SpeechAllowance {
    private static final Logger logger = LoggerFactory.getLogger(SpeechAllowance.class);

    private final UsageMeter meter;
    private final String userId;
    private final long budget; // 0 = unlimited
    private final Executor writeBehind;
    private long used; // guarded by this

    SpeechAllowance(UsageMeter meter, String userId, long budget, long used, Executor writeBehind) {
        this.meter = meter;
        this.userId = userId;
        this.budget = budget;
        this.used = used;
        this.writeBehind = writeBehind;
    }

    /**
     * Reserves {@code chars} of speech: false (nothing counted) when that would pass the budget. Never blocks; the
     * count goes to the store afterwards.
     */
    public boolean tryReserve(long chars) {
        synchronized (this) {
            if (budget > 0 && used + chars > budget) {
                return false;
            }
            used += chars;
        }
        meter.unrecordedSpeech(userId, chars);
        try {
            writeBehind.execute(() -> record(chars));
        } catch (RejectedExecutionException e) {
            meter.unrecordedSpeech(userId, -chars);
            logger.warn("blocking executor saturated: {} characters of speech were not counted", chars);
        }
        return true;
    }

    private void record(long chars) {
        try {
            long after = meter.recordSpeech(userId, chars);
            if (budget > 0 && after > budget) {
                synchronized (this) {
                    used = Math.max(used, budget); // spent elsewhere meanwhile: no more speech for this answer
                }
            }
        } catch (RuntimeException e) {
            logger.warn("counting {} characters of speech failed: {}", chars, e.toString());
        } finally {
            meter.unrecordedSpeech(userId, -chars);
        }
    }
}

package dev.lectern.ai.tts;

import dev.lectern.ai.chat.UsageMeter;
import dev.lectern.core.objects.ObjectStore;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks one sentence: checks the user's TTS budget, synthesises, stores the audio in the object store and returns
 * its signed URL. Empty when there is no TTS provider, the user is over budget ({@link Outcome#overBudget}) or
 * synthesis failed (the answer goes on as text).
 */
public final class SpeechService {
    private static final Logger logger = LoggerFactory.getLogger(SpeechService.class);

    private final TtsProvider provider; // null = text only
    private final ObjectStore objects;
    private final UsageMeter usage;
    private final Executor blocking;
    private final Duration urlTtl;
    private final int maxChars;

    /** The URL of a sentence's audio, or why there is none. */
    public record Outcome(Optional<String> url, boolean overBudget) {}

    public SpeechService(TtsProvider provider, ObjectStore objects, UsageMeter usage, Executor blocking,
                         Duration urlTtl, int maxChars) {
        this.provider = provider;
        this.objects = objects;
        this.usage = usage;
        this.blocking = blocking;
        this.urlTtl = urlTtl;
        this.maxChars = maxChars;
    }

    public boolean enabled() {
        return provider != null;
    }

    public Optional<TtsProvider> provider() {
        return Optional.ofNullable(provider);
    }

    public CompletableFuture<Outcome> speak(String userId, String sentence) {
        return speak(userId, sentence, CompletableFuture.completedFuture(null)).outcome();
    }

    /** A sentence being spoken: its budget reservation (in sentence order) and its outcome. */
    public record Speech(CompletableFuture<Boolean> reserved, CompletableFuture<Outcome> outcome) {}

    /**
     * Speaks a sentence whose budget is reserved only after {@code after} (the previous sentence's reservation) is
     * done, so that an answer's sentences use the budget in order; synthesis runs in parallel.
     */
    public Speech speak(String userId, String sentence, CompletableFuture<?> after) {
        if (provider == null) {
            return new Speech(CompletableFuture.completedFuture(false),
                    CompletableFuture.completedFuture(new Outcome(Optional.empty(), false)));
        }
        String text = sentence.length() > maxChars ? sentence.substring(0, maxChars) : sentence;
        CompletableFuture<Boolean> reserved = after.handle((v, e) -> null)
                .thenApplyAsync(v -> usage.tryReserveSpeech(userId, text.length()), blocking);
        CompletableFuture<Outcome> outcome = reserved
                .thenCompose(allowed -> {
                    if (!allowed) {
                        return CompletableFuture.completedFuture(new Outcome(Optional.empty(), true));
                    }
                    return provider.synthesize(text).thenApplyAsync(audio -> {
                        String key = "tts/" + UUID.randomUUID() + "." + provider.extension();
                        objects.put(key, audio);
                        return new Outcome(Optional.of(objects.signedUrl(key, urlTtl)), false);
                    }, blocking);
                })
                .exceptionally(t -> {
                    logger.warn("text-to-speech failed; the sentence stays text only: {}", t.getMessage());
                    return new Outcome(Optional.empty(), false);
                });
        return new Speech(reserved, outcome);
    }
}

package dev.lectern.ai.tts;

import dev.lectern.ai.usage.UsageMeter;
import dev.lectern.core.objects.LiveObject;
import dev.lectern.core.objects.LiveObjects;
import dev.lectern.core.objects.ObjectStore;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks one sentence: checks the user's TTS budget, synthesises, stores the audio in the object store and returns
 * its signed URL. With {@link LiveObjects} the URL comes with the engine's first bytes and serves the clip while it
 * grows; the complete clip is stored all the same. Empty when there is no TTS provider, the user is over budget
 * ({@link Outcome#overBudget}) or synthesis failed (the answer goes on as text).
 */
public final class SpeechService {
    private static final Logger logger = LoggerFactory.getLogger(SpeechService.class);

    private final TtsProvider provider; // null = text only
    private final ObjectStore objects;
    private final LiveObjects live; // null = whole clips only
    private final UsageMeter usage;
    private final Executor blocking;
    private final Duration urlTtl;
    private final int maxChars;
    /** The provider per companion voice. */
    private final java.util.Map<String, TtsProvider> voices = new java.util.concurrent.ConcurrentHashMap<>();

    /** The URL of a sentence's audio, or why there is none. */
    public record Outcome(Optional<String> url, boolean overBudget) {}

    public SpeechService(TtsProvider provider, ObjectStore objects, UsageMeter usage, Executor blocking,
                         Duration urlTtl, int maxChars) {
        this(provider, objects, null, usage, blocking, urlTtl, maxChars);
    }

    /**
     * @param live where clips grow while they are synthesised, so that their URL answers from the first bytes on;
     *             null = a clip's URL is handed out once the whole clip is stored
     */
    public SpeechService(TtsProvider provider, ObjectStore objects, LiveObjects live, UsageMeter usage,
                         Executor blocking, Duration urlTtl, int maxChars) {
        this.provider = provider;
        this.objects = objects;
        this.live = live;
        this.usage = usage;
        this.blocking = blocking;
        this.urlTtl = urlTtl;
        this.maxChars = maxChars;
    }

    /** The provider speaking with this voice (one instance per voice, made once); blank = the configured one. */
    private TtsProvider voiced(String voice) {
        if (voice == null || voice.isBlank()) {
            return provider;
        }
        if (voices.size() >= 256 && !voices.containsKey(voice.strip())) {
            return provider.withVoice(voice); // a bounded cache: companions are made by tutors
        }
        return voices.computeIfAbsent(voice.strip(), provider::withVoice);
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

    /**
     * A sentence being spoken: its budget reservation (in sentence order), its outcome (a URL as soon as its first
     * bytes can be fetched there) and the moment the whole clip is stored ({@code true}; {@code false} when there is no
     * clip).
     */
    public record Speech(CompletableFuture<Boolean> reserved, CompletableFuture<Outcome> outcome,
                         CompletableFuture<Boolean> stored) {}

    /**
     * Speaks a sentence whose budget is reserved only after {@code after} (the previous sentence's reservation) is
     * done, so that an answer's sentences use the budget in order; synthesis runs in parallel.
     */
    public Speech speak(String userId, String sentence, CompletableFuture<?> after) {
        return speak(userId, sentence, after, "");
    }

    /**
     * As {@link #speak(String, String, CompletableFuture)} with a voice of the provider (a companion's {@code voice});
     * blank = the configured one.
     */
    public Speech speak(String userId, String sentence, CompletableFuture<?> after, String voice) {
        if (provider == null) {
            return new Speech(CompletableFuture.completedFuture(false),
                    CompletableFuture.completedFuture(new Outcome(Optional.empty(), false)),
                    CompletableFuture.completedFuture(false));
        }
        String text = sentence.length() > maxChars ? sentence.substring(0, maxChars) : sentence;
        CompletableFuture<Boolean> reserved = after.handle((v, e) -> null)
                .thenApplyAsync(v -> usage.tryReserveSpeech(userId, text.length()), blocking);
        CompletableFuture<Boolean> stored = new CompletableFuture<>();
        CompletableFuture<Outcome> outcome = reserved
                .thenCompose(allowed -> {
                    if (!allowed) {
                        stored.complete(false);
                        return CompletableFuture.completedFuture(new Outcome(Optional.empty(), true));
                    }
                    TtsProvider speaker = voiced(voice);
                    String key = "tts/" + UUID.randomUUID() + "." + speaker.extension();
                    if (live != null) {
                        return streamed(speaker, key, text, stored);
                    }
                    return speaker.synthesize(text).thenApplyAsync(audio -> {
                        objects.put(key, audio);
                        stored.complete(true);
                        return new Outcome(Optional.of(objects.signedUrl(key, urlTtl)), false);
                    }, blocking);
                })
                .exceptionally(t -> {
                    logger.warn("text-to-speech failed; the sentence stays text only: {}", t.getMessage());
                    stored.complete(false);
                    return new Outcome(Optional.empty(), false);
                });
        return new Speech(reserved, outcome, stored);
    }

    /**
     * Synthesises into a live object: the outcome is its URL once the first bytes are written there; the clip is
     * stored when the engine is done, or dropped when it fails.
     */
    private CompletableFuture<Outcome> streamed(TtsProvider speaker, String key, String text,
                                                CompletableFuture<Boolean> stored) {
        ClipWriter writer = new ClipWriter(key, speaker.streamsOnBlockingThread(),
                new Outcome(Optional.of(live.signedUrl(key, urlTtl)), false), stored);
        CompletableFuture<Void> synthesis;
        try {
            synthesis = speaker.stream(text, writer::write);
        } catch (RuntimeException e) {
            synthesis = CompletableFuture.failedFuture(e);
        }
        synthesis.whenComplete((v, e) -> writer.finish(e));
        return writer.first;
    }

    /**
     * Writes one clip's pieces into its live object (created with the first piece), one after another and in order:
     * right away when the engine hands them over on a thread that may block, else on the blocking executor (the
     * engine's thread is an I/O thread). The first piece to arrive creates the live object (no I/O) and publishes the
     * URL at once, before it is on disk: the {@code audio} event does not wait for a blocking thread and a spool file,
     * and a reader that asks before the bytes are written waits for them there.
     */
    private final class ClipWriter {
        final CompletableFuture<Outcome> first = new CompletableFuture<>();
        private final String key;
        private final boolean inline;
        private final Outcome url;
        private final CompletableFuture<Boolean> stored;
        private LiveObject clip; // written by one piece at a time, in order
        private CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);

        ClipWriter(String key, boolean inline, Outcome url, CompletableFuture<Boolean> stored) {
            this.key = key;
            this.inline = inline;
            this.url = url;
            this.stored = stored;
        }

        synchronized void write(byte[] bytes) {
            if (chain.isCompletedExceptionally()) {
                throw new TtsException("the clip could not be written"); // the engine stops sending
            }
            if (clip == null && bytes.length > 0) {
                clip = live.create(key);
                first.complete(url);
            }
            if (!inline) {
                chain = chain.thenRunAsync(() -> writeNow(bytes), blocking);
                return;
            }
            try {
                writeNow(bytes);
            } catch (RuntimeException e) {
                chain = CompletableFuture.failedFuture(e);
                throw e;
            }
        }

        private void writeNow(byte[] bytes) {
            if (bytes.length > 0) {
                clip.write(bytes, 0, bytes.length);
            }
        }

        synchronized void finish(Throwable synthesisError) {
            chain.whenComplete((v, writeError) -> {
                Throwable error = synthesisError != null ? synthesisError : writeError;
                if (error != null || clip == null) {
                    if (clip != null) {
                        clip.fail(String.valueOf(error.getMessage()));
                    }
                    first.completeExceptionally(error != null ? error : new TtsException("no audio"));
                    stored.complete(false);
                    return;
                }
                if (inline) {
                    store(); // still on the engine's thread
                    return;
                }
                try {
                    blocking.execute(this::store);
                } catch (RejectedExecutionException e) {
                    clip.fail("blocking executor saturated");
                    stored.complete(false);
                }
            });
        }

        private void store() {
            try {
                clip.complete();
                stored.complete(true);
            } catch (RuntimeException e) {
                logger.warn("storing a sentence's audio failed: {}", e.getMessage());
                stored.complete(false);
            }
        }
    }
}

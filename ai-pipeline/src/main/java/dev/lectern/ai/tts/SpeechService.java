package dev.lectern.ai.tts;

import dev.lectern.ai.usage.SpeechAllowance;
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

    /**
     * The URL of a sentence's audio, or why there is none. A streamed clip's outcome also carries its first bytes
     * ({@code start}, at most {@link #INLINE_BYTES}) and their media type, so that a client can start playing them at
     * once and fetch the rest at the URL; empty otherwise.
     */
    public record Outcome(Optional<String> url, boolean overBudget, String mediaType, byte[] start) {
        static final Outcome NONE = new Outcome(Optional.empty(), false);
        static final Outcome OVER_BUDGET = new Outcome(Optional.empty(), true);

        public Outcome(Optional<String> url, boolean overBudget) {
            this(url, overBudget, "", new byte[0]);
        }

        Outcome withStart(String type, byte[] bytes) {
            return new Outcome(url, overBudget, type, bytes);
        }
    }

    /** At most this much of a clip's start travels with its outcome (and the {@code audio} event). */
    public static final int INLINE_BYTES = 64 * 1024;

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

    /** Speaks one sentence, its budget reserved first (on the blocking executor: the store may be Redis). */
    public CompletableFuture<Outcome> speak(String userId, String sentence) {
        if (provider == null) {
            return CompletableFuture.completedFuture(Outcome.NONE);
        }
        String text = clip(sentence);
        return CompletableFuture.supplyAsync(() -> usage.tryReserveSpeech(userId, text.length()), blocking)
                .thenCompose(allowed -> {
                    CompletableFuture<Boolean> stored = new CompletableFuture<>();
                    return allowed ? synthesise(text, "", stored) : CompletableFuture.completedFuture(Outcome.OVER_BUDGET);
                });
    }

    /**
     * A sentence being spoken: whether its budget was reserved, its outcome (a URL as soon as its first bytes can be
     * fetched there) and the moment the whole clip is stored ({@code true}; {@code false} when there is no clip).
     */
    public record Speech(boolean reserved, CompletableFuture<Outcome> outcome, CompletableFuture<Boolean> stored) {}

    /**
     * Speaks one of an answer's sentences, in a voice of the provider (a companion's {@code voice}; blank = the
     * configured one). Its budget is reserved from {@code allowance} on this thread, in memory (call in sentence
     * order); synthesis runs in parallel with the other sentences'. Never blocks.
     */
    public Speech speak(SpeechAllowance allowance, String sentence, String voice) {
        if (provider == null) {
            return new Speech(false, CompletableFuture.completedFuture(Outcome.NONE),
                    CompletableFuture.completedFuture(false));
        }
        String text = clip(sentence);
        CompletableFuture<Boolean> stored = new CompletableFuture<>();
        if (!allowance.tryReserve(text.length())) {
            stored.complete(false);
            return new Speech(false, CompletableFuture.completedFuture(Outcome.OVER_BUDGET), stored);
        }
        return new Speech(true, synthesise(text, voice, stored), stored);
    }

    private String clip(String sentence) {
        return sentence.length() > maxChars ? sentence.substring(0, maxChars) : sentence;
    }

    /** Synthesises a reserved sentence: its outcome, empty (logged) when synthesis or storing fails. */
    private CompletableFuture<Outcome> synthesise(String text, String voice, CompletableFuture<Boolean> stored) {
        CompletableFuture<Outcome> outcome;
        try {
            TtsProvider speaker = voiced(voice);
            String key = "tts/" + UUID.randomUUID() + "." + speaker.extension();
            if (live != null) {
                outcome = streamed(speaker, key, text, stored);
            } else {
                outcome = speaker.synthesize(text).thenApplyAsync(audio -> {
                    objects.put(key, audio);
                    stored.complete(true);
                    return new Outcome(Optional.of(objects.signedUrl(key, urlTtl)), false);
                }, blocking);
            }
        } catch (RuntimeException e) {
            outcome = CompletableFuture.failedFuture(e);
        }
        return outcome.exceptionally(t -> {
            logger.warn("text-to-speech failed; the sentence stays text only: {}", t.getMessage());
            stored.complete(false);
            return Outcome.NONE;
        });
    }

    /**
     * Synthesises into a live object: the outcome is its URL once the first bytes are written there; the clip is
     * stored when the engine is done, or dropped when it fails.
     */
    private CompletableFuture<Outcome> streamed(TtsProvider speaker, String key, String text,
                                                CompletableFuture<Boolean> stored) {
        ClipWriter writer = new ClipWriter(key, speaker.streamsOnBlockingThread(),
                new Outcome(Optional.of(live.signedUrl(key, urlTtl)), false), mediaType(speaker.extension()), stored);
        CompletableFuture<Void> synthesis;
        try {
            synthesis = speaker.stream(text, writer::write);
        } catch (RuntimeException e) {
            synthesis = CompletableFuture.failedFuture(e);
        }
        synthesis.whenComplete((v, e) -> writer.finish(e));
        return writer.first;
    }

    /** The media type of an audio file extension ({@code mp3}, {@code wav}, …). */
    static String mediaType(String extension) {
        return switch (extension) {
            case "mp3" -> "audio/mpeg";
            case "wav" -> "audio/wav";
            case "ogg", "opus" -> "audio/ogg";
            case "aac" -> "audio/aac";
            case "flac" -> "audio/flac";
            default -> "application/octet-stream";
        };
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
        private final String mediaType;
        private final CompletableFuture<Boolean> stored;
        private LiveObject clip; // written by one piece at a time, in order
        private CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);

        ClipWriter(String key, boolean inline, Outcome url, String mediaType, CompletableFuture<Boolean> stored) {
            this.key = key;
            this.inline = inline;
            this.url = url;
            this.mediaType = mediaType;
            this.stored = stored;
        }

        synchronized void write(byte[] bytes) {
            if (chain.isCompletedExceptionally()) {
                throw new TtsException("the clip could not be written"); // the engine stops sending
            }
            if (clip == null && bytes.length > 0) {
                clip = live.create(key);
                // the first piece travels with the URL: a client plays it while it fetches the rest
                first.complete(url.withStart(mediaType, bytes.length <= INLINE_BYTES ? bytes
                        : java.util.Arrays.copyOf(bytes, INLINE_BYTES)));
            }
            if (!inline) {
                // a clip in memory takes the piece here, without I/O; past that (or behind a queued write) the
                // piece waits its turn on the blocking executor
                try {
                    if (bytes.length == 0 || chain.isDone() && clip.tryWriteInMemory(bytes, 0, bytes.length)) {
                        return;
                    }
                } catch (RuntimeException e) {
                    chain = CompletableFuture.failedFuture(e);
                    throw e;
                }
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

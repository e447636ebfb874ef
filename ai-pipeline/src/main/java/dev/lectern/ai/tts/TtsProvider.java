package dev.lectern.ai.tts;

import java.util.concurrent.CompletableFuture;

/** Turns one sentence into audio. Never blocks the caller: the result completes on a client or executor thread. */
public interface TtsProvider {
    /** A short name for logs and {@code GET /api/tts/models}. */
    String name();

    /** The audio format's file extension ({@code mp3}, {@code wav}). */
    String extension();

    CompletableFuture<byte[]> synthesize(String text);

    /**
     * Hands the audio to {@code out} as the engine produces it, in order (the first call is the first sound); the
     * result completes after the last call, or fails with a {@link TtsException}. Calls never overlap, may come on an
     * I/O thread and must not block. This default hands over the whole clip at once; engines that stream override it.
     */
    default CompletableFuture<Void> stream(String text, AudioOut out) {
        return synthesize(text).thenAccept(out::write);
    }

    /**
     * Whether {@link #stream} hands its pieces over on a thread of its own that may block (a process's reader), so
     * that the receiver can store them right there instead of handing them to another thread.
     */
    default boolean streamsOnBlockingThread() {
        return false;
    }

    /** Where streamed audio goes, piece by piece (see {@link #stream}). */
    @FunctionalInterface
    interface AudioOut {
        /** The next bytes of the clip; the array is the receiver's from now on. */
        void write(byte[] bytes);
    }

    /**
     * The same provider speaking with another voice (an espeak-ng voice such as {@code en-gb}, an OpenAI voice name,
     * an ElevenLabs voice id); blank = this provider's configured voice.
     */
    TtsProvider withVoice(String voice);
}

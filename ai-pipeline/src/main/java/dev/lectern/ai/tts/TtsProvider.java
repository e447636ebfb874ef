package dev.lectern.ai.tts;

import java.util.concurrent.CompletableFuture;

/** Turns one sentence into audio. Never blocks the caller: the result completes on a client or executor thread. */
public interface TtsProvider {
    /** A short name for logs and {@code GET /api/tts/models}. */
    String name();

    /** The audio format's file extension ({@code mp3}, {@code wav}). */
    String extension();

    CompletableFuture<byte[]> synthesize(String text);
}

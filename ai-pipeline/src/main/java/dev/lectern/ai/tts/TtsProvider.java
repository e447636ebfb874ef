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
     * The same provider speaking with another voice (an espeak-ng voice such as {@code en-gb}, an OpenAI voice name,
     * an ElevenLabs voice id); blank = this provider's configured voice.
     */
    TtsProvider withVoice(String voice);
}

package dev.lectern.ai.tts;

/** A sentence could not be synthesised; the answer goes on as text. The message is safe to log. */
public final class TtsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TtsException(String message) {
        super(message, null, false, false);
    }
}

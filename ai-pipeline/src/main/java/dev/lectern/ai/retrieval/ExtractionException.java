package dev.lectern.ai.retrieval;

/** A document whose text cannot be taken out (encrypted, corrupt, a zip bomb, no text); the message is shown. */
public final class ExtractionException extends Exception {
    private static final long serialVersionUID = 1L;

    public ExtractionException(String message) {
        super(message, null, false, false);
    }
}

package dev.lectern.core.util;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Helpers for {@link java.util.concurrent.CompletionStage} callbacks. */
public final class Futures {
    private Futures() {}

    /**
     * The failure a stage's callback means: {@code CompletionException} and {@code ExecutionException} wrappers
     * (added when a failure passes through dependent stages or {@code get()}) are taken off.
     */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}

package dev.lectern.ai.tts;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reorder buffer for results that complete in any order but must be handled in the order they were added (one
 * answer's sentences: synthesis runs concurrently, {@code audio} events go out in sentence order). A result is held
 * only until every earlier one is done: a failed result is skipped when it fails, so it holds the next no longer than
 * its own timeout. Each handler runs once, after the previous handler returned; a handler that throws is logged and
 * does not stop later ones. {@link #add} calls must not overlap (one answer adds from one place at a time).
 */
public final class InOrder<T> {
    private static final Logger logger = LoggerFactory.getLogger(InOrder.class);

    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    /** Handles {@code result} after the results added before it; the returned future completes once it was handled. */
    public CompletableFuture<Void> add(CompletableFuture<? extends T> result, Consumer<? super T> handler) {
        CompletableFuture<Void> done = tail.thenCombine(result.handle((value, error) -> value), (previous, value) -> {
            if (value != null) {
                handler.accept(value);
            }
            return (Void) null;
        }).exceptionally(e -> {
            logger.warn("handling an ordered result failed", e);
            return null;
        });
        tail = done;
        return done;
    }
}

package dev.lectern.server;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server closes when it stops: each wiring module adds what it opens as soon as it has opened it, so a
 * start-up that fails half-way closes exactly what was built. Closed newest first, so a feature goes before the
 * stores it uses.
 */
final class Closeables {
    private static final Logger logger = LoggerFactory.getLogger(Closeables.class);

    private final Deque<AutoCloseable> open = new ArrayDeque<>();

    /** Registers {@code closeable} and returns it. */
    <T extends AutoCloseable> T add(T closeable) {
        open.push(closeable);
        return closeable;
    }

    /** Closes everything registered, newest first; a failure is logged and the rest still close. */
    void closeAll() {
        while (!open.isEmpty()) {
            try {
                open.pop().close();
            } catch (Exception e) {
                logger.warn("close failed", e);
            }
        }
    }
}

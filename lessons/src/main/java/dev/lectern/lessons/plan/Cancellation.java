package dev.lectern.lessons.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * The cancellation hook of one piece of rendering work: the job running it calls {@link #cancel()} (from any
 * thread); the work polls {@link #isCancelled()} between steps and registers {@link #onCancel} callbacks that stop
 * what blocks it (a child process is killed at once). Callbacks run once, on the cancelling thread, or at once when
 * registered after the cancel.
 */
public final class Cancellation {
    private final List<Runnable> callbacks = new ArrayList<>();
    private boolean cancelled;

    /** A hook nobody cancels. */
    public static Cancellation none() {
        return new Cancellation();
    }

    public void cancel() {
        List<Runnable> run;
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            run = List.copyOf(callbacks);
            callbacks.clear();
        }
        run.forEach(Runnable::run);
    }

    public synchronized boolean isCancelled() {
        return cancelled;
    }

    /** Runs {@code callback} on cancel; closing the returned registration forgets it. */
    public Registration onCancel(Runnable callback) {
        synchronized (this) {
            if (!cancelled) {
                callbacks.add(callback);
                return () -> {
                    synchronized (this) {
                        callbacks.remove(callback);
                    }
                };
            }
        }
        callback.run();
        return () -> {};
    }

    /** A registered callback; {@link #close()} forgets it. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}

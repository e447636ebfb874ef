package dev.lectern.core.netty;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands tasks from an event loop to other executors (event loops) once per turn of the loop, not once per task.
 *
 * <p>A remote room event read from Redis on one loop for a socket on another, or a room event of a socket on one
 * loop published on the loop of the Redis connection, used to be one {@code execute} each: one task object and
 * queue insertion per message, and a wake-up of the other loop (an eventfd write there and an {@code epoll} return)
 * whenever it was asleep. Here the tasks that one loop hands to another during one turn go over as one task, after
 * what the loop is doing now (the rest of the read, the other ready channels): at 5,000 cross-node messages a second a
 * turn carries several, so the other loop is woken once for them.
 *
 * <p>Order: the tasks one thread hands to one executor run in the order they were handed, as with {@code execute};
 * a task handed directly with {@code execute} by the same thread may run before the batch. So every hand-over whose
 * order matters against another (a socket's packets and its disconnect) goes through here. Off an event loop (a
 * worker thread) a task is executed at once. A task that throws is logged; the rest of its batch still runs. When the
 * target refuses the batch (it is shutting down), the tasks' {@code onRefused} run on the handing thread.
 */
public final class HandOff {
    private static final Logger logger = LoggerFactory.getLogger(HandOff.class);
    private static final FastThreadLocal<HandOff> BATCHES = new FastThreadLocal<>();
    private static final Runnable NOTHING = () -> { };

    private final EventExecutor home;
    /** Targets in the order they were first handed something this turn, and their tasks in order. */
    private final List<Batch> batches = new ArrayList<>(4);
    private boolean flushScheduled;
    private final Runnable flush = this::flush;

    private HandOff(EventExecutor home) {
        this.home = home;
    }

    /** Runs {@code task} on {@code target}: batched per turn when called on an event loop, else executed at once. */
    public static void execute(Executor target, Runnable task) {
        execute(target, task, NOTHING);
    }

    /**
     * As {@link #execute(Executor, Runnable)}; when {@code target} refuses the task (it is shutting down),
     * {@code onRefused} runs instead, on the calling thread (or, batched, on the loop that handed it over).
     */
    public static void execute(Executor target, Runnable task, Runnable onRefused) {
        EventExecutor current = ThreadExecutorMap.currentExecutor();
        if (current == null || current.isShuttingDown()) {
            direct(target, task, onRefused);
            return;
        }
        HandOff h = BATCHES.get();
        if (h == null || h.home != current) {
            h = new HandOff(current);
            BATCHES.set(h);
        }
        h.add(target, task, onRefused);
    }

    private static void direct(Executor target, Runnable task, Runnable onRefused) {
        try {
            target.execute(task);
        } catch (RejectedExecutionException e) {
            onRefused.run();
        }
    }

    private void add(Executor target, Runnable task, Runnable onRefused) {
        Batch b = null;
        for (Batch x : batches) {
            if (x.target == target) {
                b = x;
                break;
            }
        }
        if (b == null) {
            b = new Batch(target);
            batches.add(b);
        }
        b.tasks.add(task);
        b.refused.add(onRefused);
        if (!flushScheduled) {
            flushScheduled = true;
            try {
                home.execute(flush); // after the rest of this turn's work on this loop
            } catch (RejectedExecutionException e) {
                flush();
            }
        }
    }

    private void flush() {
        flushScheduled = false;
        for (Batch b : batches) {
            if (b.tasks.isEmpty()) {
                continue;
            }
            Runnable[] tasks = b.tasks.toArray(new Runnable[0]);
            Runnable[] refused = b.refused.toArray(new Runnable[0]);
            b.tasks.clear();
            b.refused.clear();
            try {
                b.target.execute(() -> runAll(tasks));
            } catch (RejectedExecutionException e) {
                for (Runnable r : refused) {
                    r.run();
                }
            }
        }
        if (batches.size() > 16) {
            batches.clear(); // a loop that once handed to many executors does not scan them all forever
        }
    }

    private static void runAll(Runnable[] tasks) {
        for (Runnable t : tasks) {
            try {
                t.run();
            } catch (Throwable e) {
                logger.warn("a task handed over from another event loop failed", e);
            }
        }
    }

    private static final class Batch {
        final Executor target;
        final ArrayList<Runnable> tasks = new ArrayList<>(8);
        final ArrayList<Runnable> refused = new ArrayList<>(8);

        Batch(Executor target) {
            this.target = target;
        }
    }
}

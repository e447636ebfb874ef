package dev.lectern.ai.tts;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Drives one answer's {@link SentenceChunker} and hands each released piece to {@code out}, in order. When the text
 * received so far ends at a possible sentence end ({@link SentenceChunker#pending()}), a timer of
 * {@code flushMillis} starts; new text cancels it (and may start a new one); when it fires the pending piece is
 * released, so a model that pauses after a sentence does not hold its voice. The timer is scheduled, never slept on:
 * on the turn's executor when that can schedule (a Netty event loop is a {@link ScheduledExecutorService}), else on
 * one shared daemon scheduler. Thread-safe: feeding, finishing, cancelling and the timer are serialized, and nothing
 * is released after {@link #finish()} or {@link #cancel()}.
 */
public final class QuietFlush {
    private final SentenceChunker chunker;
    private final long flushMillis;
    private final ScheduledExecutorService timer;
    private final Consumer<String> out;
    private ScheduledFuture<?> quiet;
    private long generation;
    private boolean closed;

    /** {@code flushMillis} 0 turns the quiet period off (a pending piece waits for text or the end). */
    public QuietFlush(SentenceChunker chunker, long flushMillis, Executor executor, Consumer<String> out) {
        if (flushMillis < 0) {
            throw new IllegalArgumentException("flushMillis must be >= 0");
        }
        this.chunker = chunker;
        this.flushMillis = flushMillis;
        this.timer = executor instanceof ScheduledExecutorService s ? s : SharedTimer.INSTANCE;
        this.out = out;
    }

    /** Adds streamed text: releases what it completes, and restarts the quiet period if a piece is pending. */
    public synchronized void feed(String text) {
        if (closed) {
            return;
        }
        stopTimer();
        chunker.feed(text).forEach(out);
        if (flushMillis > 0 && chunker.pending()) {
            long mine = generation;
            try {
                quiet = timer.schedule(() -> quietPeriodPassed(mine), flushMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // the executor is shutting down: the piece goes with the next text or the end of the answer
            }
        }
    }

    /** The answer ended: releases the rest; nothing more afterwards. */
    public synchronized void finish() {
        if (closed) {
            return;
        }
        closed = true;
        stopTimer();
        chunker.flush().forEach(out);
    }

    /** The answer was cut short: drops the buffered text; nothing more afterwards. */
    public synchronized void cancel() {
        closed = true;
        stopTimer();
        chunker.reset();
    }

    private synchronized void quietPeriodPassed(long expected) {
        if (closed || expected != generation) {
            return; // text came (or the answer ended) after this timer was due
        }
        quiet = null;
        chunker.flushPending().forEach(out);
    }

    private void stopTimer() {
        generation++;
        if (quiet != null) {
            quiet.cancel(false);
            quiet = null;
        }
    }

    /** For turns whose executor cannot schedule: one daemon thread that only runs quiet-period releases. */
    private static final class SharedTimer {
        static final ScheduledExecutorService INSTANCE = create();

        private static ScheduledExecutorService create() {
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
                Thread thread = new Thread(r, "lectern-chunker-timer");
                thread.setDaemon(true);
                return thread;
            });
            t.setRemoveOnCancelPolicy(true);
            return t;
        }
    }
}

package dev.lectern.ai.llm;

import java.util.ArrayDeque;

/**
 * The demand bookkeeping shared by providers: the producer side ({@link #emitText}, {@link #emitComplete},
 * {@link #emitError}) queues signals from its own thread, the consumer's {@link #request} adds demand from another,
 * and whichever arrives delivers what demand allows, one caller at a time. Above {@code pauseAt} queued texts the
 * producer is asked to {@link #pauseProducer() pause}; below {@code resumeAt} to {@link #resumeProducer() resume}.
 */
public abstract class PullStream implements ChatStream {
    private static final int PAUSE_AT = 32;
    private static final int RESUME_AT = 8;

    private final ChatStreamListener listener;
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private long demand;
    private boolean delivering;
    private boolean terminated;
    private boolean cancelled;
    private boolean paused;

    private record Complete(String finishReason, Usage usage) {}

    private record Text(String text, long receivedNanos) {}

    protected PullStream(ChatStreamListener listener) {
        this.listener = listener;
    }

    @Override
    public final void request(long n) {
        if (n <= 0) {
            return;
        }
        synchronized (this) {
            demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        }
        drain();
    }

    @Override
    public final void cancel() {
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            queue.clear();
        }
        onCancel();
    }

    protected final synchronized boolean isCancelled() {
        return cancelled;
    }

    /** True once a terminal signal has been queued (so late upstream signals are ignored). */
    protected final synchronized boolean isTerminated() {
        return terminated || cancelled;
    }

    protected final void emitText(String text) {
        emitText(text, System.nanoTime());
    }

    protected final void emitText(String text, long receivedNanos) {
        if (text == null || text.isEmpty()) {
            return;
        }
        boolean pause;
        synchronized (this) {
            if (terminated || cancelled) {
                return;
            }
            queue.add(new Text(text, receivedNanos));
            pause = !paused && queue.size() >= PAUSE_AT;
            paused |= pause;
        }
        if (pause) {
            pauseProducer();
        }
        drain();
    }

    protected final void emitComplete(String finishReason, Usage usage) {
        synchronized (this) {
            if (terminated || cancelled) {
                return;
            }
            terminated = true;
            queue.add(new Complete(finishReason, usage));
        }
        drain();
    }

    protected final void emitError(LlmException error) {
        synchronized (this) {
            if (terminated || cancelled) {
                return;
            }
            terminated = true;
            queue.add(error);
        }
        drain();
    }

    /** Consumer demand outstanding or queued signals not yet delivered: the producer is being read from. */
    protected final synchronized boolean isPaused() {
        return paused;
    }

    private void drain() {
        synchronized (this) {
            if (delivering) {
                return;
            }
            delivering = true;
        }
        boolean resume = false;
        try {
            while (true) {
                Object next;
                synchronized (this) {
                    Object head = queue.peek();
                    if (cancelled || head == null || (head instanceof Text && demand == 0)) {
                        if (paused && queue.size() <= RESUME_AT && !terminated) {
                            paused = false;
                            resume = true;
                        }
                        delivering = false;
                        break;
                    }
                    next = queue.poll();
                    if (next instanceof Text) {
                        demand--;
                    }
                }
                if (next instanceof Text t) {
                    listener.onText(t.text(), t.receivedNanos());
                } else if (next instanceof Complete c) {
                    listener.onComplete(c.finishReason(), c.usage());
                } else if (next instanceof LlmException e) {
                    listener.onError(e);
                }
            }
        } catch (RuntimeException e) {
            synchronized (this) {
                delivering = false;
            }
            throw e;
        }
        if (resume) {
            resumeProducer();
        }
    }

    /** Stop reading from the network until {@link #resumeProducer()}. */
    protected void pauseProducer() {}

    protected void resumeProducer() {}

    /** Release the upstream at once. */
    protected abstract void onCancel();
}

package dev.lectern.http.sse;

import java.util.ArrayDeque;

/**
 * An {@link EventStream} whose source pushes events at its own pace: they wait here, in order, until the writer asks
 * for them, and the end goes out once the last waiting event has. Subclasses call {@link #send} and {@link #sendLast}
 * from any thread; once the last event is queued (or the client has gone), later events are ignored. What waits is
 * bounded by the subclass (see {@link #waitingCount()}).
 */
public abstract class QueuedEventStream implements EventStream {
    /** Guarded by {@code this}. */
    private final ArrayDeque<SseEvent> waiting = new ArrayDeque<>();
    private Subscriber subscriber;
    private long demand;
    private boolean ending;
    private boolean ended;

    /** Queues an event (sent as soon as the writer asks); ignored after the last one. */
    protected final synchronized void send(SseEvent event) {
        if (ending) {
            return;
        }
        waiting.add(event);
        drain();
    }

    /** Queues the last event: the stream ends after it. Ignored after the last one. */
    protected final synchronized void sendLast(SseEvent event) {
        if (ending) {
            return;
        }
        waiting.add(event);
        ending = true;
        drain();
    }

    /** Events queued and not yet asked for by the writer. */
    protected final synchronized int waitingCount() {
        return waiting.size();
    }

    /** True once the last event is queued, the end was sent, or the client went away. */
    protected final synchronized boolean isEnding() {
        return ending;
    }

    /** True once the end was sent or the client went away. */
    protected final synchronized boolean isEnded() {
        return ended;
    }

    @Override
    public final synchronized void subscribe(Subscriber s) {
        subscriber = s;
        drain();
    }

    @Override
    public final void request(long n) {
        synchronized (this) {
            demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
            drain();
        }
        onRequest(n);
    }

    @Override
    public final void cancel() {
        synchronized (this) {
            ended = true;
            ending = true;
            waiting.clear();
        }
        onCancel();
    }

    /** The writer asked for {@code n} more events (outside the lock): a pulled source may produce them. */
    protected void onRequest(long n) {}

    /** The client went away (outside the lock): stop the source. */
    protected void onCancel() {}

    /** The end was just sent (holding the lock): release the source. */
    protected void onEnded() {}

    /** Called holding the lock. */
    private void drain() {
        if (subscriber == null || ended) {
            return;
        }
        while (demand > 0 && !waiting.isEmpty()) {
            demand--;
            subscriber.onEvent(waiting.poll());
        }
        if (ending && waiting.isEmpty()) {
            ended = true;
            onEnded();
            subscriber.onEnd();
        }
    }
}

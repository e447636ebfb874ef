package dev.lectern.lessons.web;

import dev.lectern.core.store.EphemeralStore;
import dev.lectern.http.sse.EventStream;
import dev.lectern.http.sse.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * A project's changes as an event stream: {@code {"type":"subscribed","projectId":…}} once the subscription is live,
 * then every message of the project's channel as it was published, sent as the writer asks for them. Messages wait
 * here, in order, while the client is behind, up to {@link #MAX_WAITING}; a client further behind than that gets
 * {@code {"type":"overflow"}} and the end (it re-reads the project and subscribes again) rather than a gap.
 */
final class ProjectEventStream implements EventStream {
    static final int MAX_WAITING = 1024;

    private final String projectId;
    /** Guarded by {@code this}. */
    private final ArrayDeque<SseEvent> waiting = new ArrayDeque<>();
    private Subscriber subscriber;
    private long demand;
    private boolean ending;
    private boolean ended;
    private EphemeralStore.Subscription subscription;

    ProjectEventStream(String projectId) {
        this.projectId = projectId;
        waiting.add(event("{\"type\":\"subscribed\",\"projectId\":\"" + projectId + "\"}"));
    }

    /** The channel's subscription, made (off the event loop) before the stream is handed to the writer. */
    synchronized void attach(EphemeralStore.Subscription s) {
        subscription = s;
        if (ended) {
            s.close();
        }
    }

    /** A message of the project's channel (on a store thread). */
    synchronized void onMessage(String json) {
        if (ending) {
            return;
        }
        if (waiting.size() >= MAX_WAITING) {
            waiting.add(event("{\"type\":\"overflow\",\"projectId\":\"" + projectId + "\"}"));
            ending = true;
        } else {
            waiting.add(event(json));
        }
        drain();
    }

    @Override
    public synchronized void subscribe(Subscriber s) {
        subscriber = s;
        drain();
    }

    @Override
    public synchronized void request(long n) {
        demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        drain();
    }

    @Override
    public void cancel() {
        EphemeralStore.Subscription s;
        synchronized (this) {
            ended = true;
            ending = true;
            waiting.clear();
            s = subscription;
        }
        if (s != null) {
            s.close();
        }
    }

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
            if (subscription != null) {
                subscription.close();
            }
            subscriber.onEnd();
        }
    }

    private static SseEvent event(String json) {
        return SseEvent.of(json.getBytes(StandardCharsets.UTF_8));
    }
}

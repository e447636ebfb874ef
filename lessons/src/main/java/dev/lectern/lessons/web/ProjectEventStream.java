package dev.lectern.lessons.web;

import dev.lectern.core.store.EphemeralStore;
import dev.lectern.http.sse.QueuedEventStream;
import dev.lectern.http.sse.SseEvent;
import java.nio.charset.StandardCharsets;

/**
 * A project's changes as an event stream: {@code {"type":"subscribed","projectId":…}} once the subscription is live,
 * then every message of the project's channel as it was published, sent as the writer asks for them. Messages wait
 * here, in order, while the client is behind, up to {@link #MAX_WAITING}; a client further behind than that gets
 * {@code {"type":"overflow"}} and the end (it re-reads the project and subscribes again) rather than a gap.
 */
final class ProjectEventStream extends QueuedEventStream {
    static final int MAX_WAITING = 1024;

    private final String projectId;
    /** Guarded by {@code this}. */
    private EphemeralStore.Subscription subscription;

    ProjectEventStream(String projectId) {
        this.projectId = projectId;
        send(event("{\"type\":\"subscribed\",\"projectId\":\"" + projectId + "\"}"));
    }

    /** The channel's subscription, made (off the event loop) before the stream is handed to the writer. */
    synchronized void attach(EphemeralStore.Subscription s) {
        subscription = s;
        if (isEnded()) {
            s.close();
        }
    }

    /** A message of the project's channel (on a store thread). */
    synchronized void onMessage(String json) {
        if (waitingCount() >= MAX_WAITING) {
            sendLast(event("{\"type\":\"overflow\",\"projectId\":\"" + projectId + "\"}"));
        } else {
            send(event(json));
        }
    }

    @Override
    protected void onCancel() {
        EphemeralStore.Subscription s;
        synchronized (this) {
            s = subscription;
        }
        if (s != null) {
            s.close();
        }
    }

    @Override
    protected void onEnded() {
        if (subscription != null) {
            subscription.close();
        }
    }

    private static SseEvent event(String json) {
        return SseEvent.of(json.getBytes(StandardCharsets.UTF_8));
    }
}

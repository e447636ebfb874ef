package dev.lectern.http.sse;

/**
 * A stream of Server-Sent Events as plain Java, which an SSE route returns and {@link SseHandler} writes: the writer
 * subscribes once, asks for events as the client keeps up ({@link #request}), and cancels when the client goes away.
 * A stream paces its source by the demand; an event it sends beyond the demand is still written (nothing is dropped).
 * Events and the end may come on any thread, one at a time.
 */
public interface EventStream {
    /** Starts the stream; called once, before {@link #request}. */
    void subscribe(Subscriber subscriber);

    /** The writer can take {@code n} more events now. */
    void request(long n);

    /** The client went away (or the connection closed): stop the source; no more events are needed. */
    void cancel();

    /** An event with {@link SseEvent#receivedNanos} set has been written to the socket. */
    default void written(SseEvent event) {}

    /** Where a stream sends its events. */
    interface Subscriber {
        void onEvent(SseEvent event);

        /** No more events: the response ends. */
        void onEnd();
    }
}

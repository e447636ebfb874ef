package dev.lectern.http.sse;

/**
 * One event: {@code data} is its payload on one line (compact JSON), written as {@code id: n\ndata: …\n\n}.
 * {@code receivedNanos} ({@link System#nanoTime()}) is when its content arrived from its source, 0 when not timed:
 * a timed event is reported back with {@link EventStream#written} once it is on the socket.
 */
public record SseEvent(byte[] data, long receivedNanos) {
    public static SseEvent of(byte[] data) {
        return new SseEvent(data, 0);
    }
}

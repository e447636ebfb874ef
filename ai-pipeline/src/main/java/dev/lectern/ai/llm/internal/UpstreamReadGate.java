package dev.lectern.ai.llm.internal;

import java.util.function.BooleanSupplier;

/**
 * Switches reading of one upstream (model provider) response on and off: the TCP backpressure behind
 * {@code ChatStream.request}. {@link StreamingHttpClient} owns the connection; this only asks the call to read or
 * pause, on the connection's event loop (at once when asked there, as it is when the client reads on the loop it
 * writes to), and only while the call still owns the connection (a kept-alive connection serves other calls later).
 *
 * <p>Pause and resume are asked for from different threads (the provider's and the consumer's), so the order in which
 * their tasks reach the event loop says nothing about which came last. Each task therefore applies the stream's
 * <em>current</em> wish ({@code shouldPause}) when it runs, never the one it was submitted with: whatever the
 * interleaving, the last task leaves the connection reading exactly when the stream is not paused.
 */
public final class UpstreamReadGate {
    private final BooleanSupplier shouldPause;
    private volatile StreamingHttpClient.Cancellable call;

    public UpstreamReadGate(BooleanSupplier shouldPause) {
        this.shouldPause = shouldPause;
    }

    /** Remembers the call the request went out on and applies the current wish to it. */
    public void attach(StreamingHttpClient.Cancellable call) {
        this.call = call;
        update();
    }

    /** The stream's wish changed (paused or resumed): bring the connection in line on its event loop. */
    public void update() {
        StreamingHttpClient.Cancellable c = call;
        if (c != null) {
            c.readUnless(shouldPause);
        }
    }

    /** Closes the connection at once (cancellation) unless the response has ended; the provider sees the stream end. */
    public void close() {
        StreamingHttpClient.Cancellable c = call;
        if (c != null) {
            c.cancel();
        }
    }
}

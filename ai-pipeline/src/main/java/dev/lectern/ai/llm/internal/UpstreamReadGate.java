package dev.lectern.ai.llm.internal;

import io.netty.channel.Channel;
import java.util.function.BooleanSupplier;

/**
 * Switches reading of one upstream (model provider) connection on and off: the TCP backpressure behind
 * {@code ChatStream.request}. {@link StreamingHttpClient} owns the channel; this only toggles its auto-read, on its
 * own event loop (at once when asked there, as it is when the client reads on the loop it writes to).
 *
 * <p>Pause and resume are asked for from different threads (the provider's and the consumer's), so the order in which
 * their tasks reach the event loop says nothing about which came last. Each task therefore applies the stream's
 * <em>current</em> wish ({@code shouldPause}) when it runs, never the one it was submitted with: whatever the
 * interleaving, the last task leaves the connection reading exactly when the stream is not paused.
 */
public final class UpstreamReadGate {
    private final BooleanSupplier shouldPause;
    private volatile Channel channel;

    public UpstreamReadGate(BooleanSupplier shouldPause) {
        this.shouldPause = shouldPause;
    }

    /** Remembers the connection the request went out on and applies the current wish to it. */
    public void attach(Object nettyChannel) {
        if (nettyChannel instanceof Channel ch) {
            channel = ch;
            apply();
        }
    }

    /** The stream's wish changed (paused or resumed): bring the connection in line on its event loop. */
    public void update() {
        apply();
    }

    /** Closes the connection at once (cancellation); the provider sees the stream end. */
    public void close() {
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }

    private void apply() {
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        Runnable task = () -> {
            boolean read = !shouldPause.getAsBoolean();
            if (ch.config().isAutoRead() != read) {
                ch.config().setAutoRead(read);
            }
            if (read) {
                ch.read();
            }
        };
        if (ch.eventLoop().inEventLoop()) {
            task.run();
        } else {
            ch.eventLoop().execute(task);
        }
    }
}

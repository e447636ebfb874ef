package dev.lectern.ai.llm.netty;

import io.netty.channel.Channel;

/**
 * Switches reading of one upstream (model provider) connection on and off: the TCP backpressure behind
 * {@code ChatStream.request}. The async-http-client owns the channel; this only toggles its auto-read, on its own
 * event loop.
 */
public final class UpstreamReadGate {
    private volatile Channel channel;
    private volatile boolean paused;

    /** Remembers the connection the request went out on; applies a pause that was asked for before it existed. */
    public void attach(Object nettyChannel) {
        if (nettyChannel instanceof Channel ch) {
            channel = ch;
            if (paused) {
                apply(false);
            }
        }
    }

    public void pause() {
        paused = true;
        apply(false);
    }

    public void resume() {
        paused = false;
        apply(true);
    }

    /** Closes the connection at once (cancellation); the provider sees the stream end. */
    public void close() {
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }

    private void apply(boolean read) {
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        ch.eventLoop().execute(() -> {
            ch.config().setAutoRead(read);
            if (read) {
                ch.read();
            }
        });
    }
}

package dev.lectern.core.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Dsl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's general HTTP client: one async-http-client, on event-loop threads of its own, that every outgoing
 * call shares (model TTS, speech-to-text, avatar processes, the external avatar manager). It has no request or read
 * timeout of its own: each call sets the one its protocol needs. It neither retries nor follows redirects. The
 * model answers' SSE streams do not use it (they have a fast path of their own).
 *
 * <p>{@link #close} is finished when it returns: given no event loop, the client would make its own and on close only
 * start its shutdown (a 2 s quiet period, not awaited), so its thread, connections and buffers would outlive the
 * close. Here the client is closed, then its loop is shut down and awaited.
 */
public final class SharedHttpClient implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(SharedHttpClient.class);

    private final EventLoopGroup loop;
    private final AsyncHttpClient client;

    private SharedHttpClient(EventLoopGroup loop, AsyncHttpClient client) {
        this.loop = loop;
        this.client = client;
    }

    /**
     * A client on {@code ioThreads} daemon threads named after {@code threadName}, connecting within
     * {@code connectTimeout}.
     */
    public static SharedHttpClient create(String threadName, int ioThreads, Duration connectTimeout) {
        EventLoopGroup loop = newEventLoop(threadName, ioThreads);
        try {
            return new SharedHttpClient(loop, Dsl.asyncHttpClient(Dsl.config()
                    .setEventLoopGroup(loop)
                    .setConnectTimeout(connectTimeout)
                    .setRequestTimeout(Duration.ofMillis(-1))
                    .setReadTimeout(Duration.ofMillis(-1))
                    .setMaxRequestRetry(0)
                    .setFollowRedirect(false)));
        } catch (RuntimeException e) {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * An NIO group, the transport the client uses by default: the client accepts only the transport-specific group
     * classes, which Netty 4.2 deprecates.
     */
    @SuppressWarnings("deprecation")
    private static EventLoopGroup newEventLoop(String threadName, int threads) {
        return new io.netty.channel.nio.NioEventLoopGroup(threads, new DefaultThreadFactory(threadName, true));
    }

    public AsyncHttpClient client() {
        return client;
    }

    /** Closes the client, then shuts its loop down and waits (up to 5 s) until the loop's threads have ended. */
    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            logger.debug("closing the HTTP client: {}", e.toString());
        }
        if (!loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS)) {
            logger.warn("the HTTP client's event loop did not stop within 5 s");
        }
    }
}

package dev.lectern.media;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.asynchttpclient.AsyncHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An async-http-client whose close is finished when it returns. Given no event loop, the client makes its own and on
 * close only starts its shutdown (a 2 s quiet period, not awaited): its thread, its connections and the buffers they
 * hold outlive the close. With a loop of ours, {@link #close} closes the client and then shuts the loop down and waits.
 */
public final class AsyncHttpClients {
    private static final Logger logger = LoggerFactory.getLogger(AsyncHttpClients.class);

    private AsyncHttpClients() {}

    /**
     * One daemon thread for {@code Dsl.config().setEventLoopGroup(...)}. An NIO group, the transport the client uses
     * by default: the client accepts only the transport-specific group classes, which Netty 4.2 deprecates.
     */
    @SuppressWarnings("deprecation")
    public static EventLoopGroup newEventLoop(String threadName) {
        return new io.netty.channel.nio.NioEventLoopGroup(1, new DefaultThreadFactory(threadName, true));
    }

    /** Closes the client, then shuts its loop down and waits (up to 5 s) until the loop's thread has ended. */
    public static void close(AsyncHttpClient http, EventLoopGroup loop) {
        try {
            http.close();
        } catch (IOException e) {
            logger.debug("closing an HTTP client: {}", e.toString());
        }
        if (!loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS)) {
            logger.warn("an HTTP client's event loop did not stop within 5 s");
        }
    }
}

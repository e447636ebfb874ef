package dev.lectern.media.proxy.internal;

import io.netty.channel.ChannelHandler;

/**
 * The reverse proxy to avatar instances, as the HTTP edge's tunnel routes use it: the handler that carries one
 * request to an instance's port and its answer back (both legs on the client connection's event loop, bytes passed
 * without being parsed into objects), and the pool of idle connections to the instances. The caller decides which
 * port a user may reach; this class only proxies.
 */
public final class AvatarProxy implements AutoCloseable {
    private final BackendPool pool;

    public AvatarProxy(int maxIdleConnectionsPerPort, long connectTimeoutMillis) {
        this.pool = new BackendPool(maxIdleConnectionsPerPort, connectTimeoutMillis);
    }

    /** An avatar API path the proxy forwards (no traversal, no query tricks). */
    public static boolean isValidPath(String path) {
        return ProxyFrontendHandler.isValidPath(path);
    }

    /**
     * The handler for one request to {@code path} on 127.0.0.1:{@code port}: {@code installed}, ready for it, when
     * that is a proxy handler this connection kept from its previous proxied request; else a new one.
     */
    public ChannelHandler handler(int port, String path, long headerTimeoutMillis, ChannelHandler installed) {
        if (installed instanceof ProxyFrontendHandler h && h.reuse(port, path, headerTimeoutMillis)) {
            return h;
        }
        return new ProxyFrontendHandler(pool, port, path, headerTimeoutMillis);
    }

    /** Whether a handler of this proxy, its request answered, may stay installed for the connection's next one. */
    public boolean keepInstalled(ChannelHandler handler) {
        return handler instanceof ProxyFrontendHandler h && h.isIdle();
    }

    @Override
    public void close() {
        pool.close();
    }
}

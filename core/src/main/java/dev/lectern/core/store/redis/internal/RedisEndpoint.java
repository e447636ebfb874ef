package dev.lectern.core.store.redis.internal;

/**
 * Where and how to reach the Redis of {@code storage.redis}, for clients other than the store's own pool (the cluster
 * bus's pub/sub connections): host and port, TLS for {@code rediss://}, the password (never logged), the connect
 * timeout, and how often a quiet connection is pinged to find out that it died without a reset.
 */
public record RedisEndpoint(String host, int port, boolean tls, String password, int connectTimeoutMillis,
        int pingIntervalMillis) {
    @Override
    public String toString() {
        return (tls ? "rediss://" : "redis://") + host + ":" + port;
    }
}

package dev.lectern.core.store;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Ephemeral state with time-to-live: token allow-list, rate-limit and usage counters, verification codes, live room
 * membership, user → avatar mapping, and pub/sub for cross-node fan-out. In-process by default
 * ({@link InMemoryEphemeralStore}); Redis when {@code storage.redis.url} is set.
 *
 * <p>Methods may block on the network (Redis): call them from the blocking executor, never from an event loop. When the
 * backing store is unreachable they throw {@link StoreUnavailableException} quickly instead of hanging. A {@code ttl}
 * of {@code null} means no expiry. Keys are plain strings; implementations add their configured prefix.
 */
public interface EphemeralStore extends AutoCloseable {
    Optional<String> get(String key);

    void set(String key, String value, Duration ttl);

    /** Sets only when the key is absent; true when it was set. */
    boolean setIfAbsent(String key, String value, Duration ttl);

    /** Removes a key; true when it existed. */
    boolean delete(String key);

    boolean exists(String key);

    /** Remaining time to live, empty when the key is absent or has no expiry. */
    Optional<Duration> ttl(String key);

    /** Sets or replaces the expiry of an existing key; false when the key is absent. */
    boolean expire(String key, Duration ttl);

    /**
     * Adds {@code delta} to a counter and returns the new value. A counter that did not exist starts at 0 and gets
     * {@code ttlIfNew} (fixed-window rate limits); an existing counter keeps its expiry.
     */
    long increment(String key, long delta, Duration ttlIfNew);

    Optional<String> hget(String key, String field);

    void hset(String key, String field, String value);

    /** Removes a field; true when it existed. */
    boolean hdel(String key, String field);

    Map<String, String> hgetAll(String key);

    /** Publishes a message to every subscriber of the channel, on every node. */
    void publish(String channel, String message);

    /**
     * Subscribes to a channel. The listener runs on a store thread (with Redis, the one that reads the pub/sub
     * connection), never a server event loop; it must not block: hand work on with {@code eventLoop.execute} or an
     * executor. Close the subscription to stop.
     */
    Subscription subscribe(String channel, Consumer<String> listener);

    /** Cheap liveness probe for {@code /api/health}; throws {@link StoreUnavailableException} when down. */
    void ping();

    /** A short name for logs and health: "memory" or "redis". */
    String kind();

    @Override
    void close();

    /** An active subscription. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}

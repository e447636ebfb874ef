package dev.lectern.core.store;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: everything in this process's memory, expired lazily on access and swept once a second so
 * that abandoned keys do not accumulate. Pub/sub delivers on one dedicated thread, in publish order.
 */
public final class InMemoryEphemeralStore implements EphemeralStore {
    private static final Logger logger = LoggerFactory.getLogger(InMemoryEphemeralStore.class);

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<String>>> subscribers = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private final ScheduledExecutorService sweeper;
    private final ExecutorService delivery;

    /** A string value or a hash, with an absolute expiry in clock millis (0 = none). */
    private record Entry(String value, Map<String, String> hash, long expiresAt) {
        boolean expired(long now) {
            return expiresAt != 0 && now >= expiresAt;
        }
    }

    public InMemoryEphemeralStore() {
        this(System::currentTimeMillis);
    }

    /** With a clock, for tests of expiry. */
    public InMemoryEphemeralStore(LongSupplier clockMillis) {
        this.clock = clockMillis;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "lectern-memstore-sweeper"));
        this.delivery = Executors.newSingleThreadExecutor(r -> daemon(r, "lectern-memstore-pubsub"));
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void sweep() {
        long now = clock.getAsLong();
        entries.entrySet().removeIf(e -> e.getValue().expired(now));
    }

    private long expiry(Duration ttl) {
        if (ttl == null) {
            return 0;
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive: " + ttl);
        }
        return clock.getAsLong() + ttl.toMillis();
    }

    private Entry live(String key) {
        Entry e = entries.get(key);
        if (e != null && e.expired(clock.getAsLong())) {
            entries.remove(key, e);
            return null;
        }
        return e;
    }

    @Override
    public Optional<String> get(String key) {
        Entry e = live(key);
        return e == null ? Optional.empty() : Optional.ofNullable(e.value());
    }

    @Override
    public void set(String key, String value, Duration ttl) {
        entries.put(key, new Entry(value, null, expiry(ttl)));
    }

    @Override
    public boolean setIfAbsent(String key, String value, Duration ttl) {
        long exp = expiry(ttl);
        long now = clock.getAsLong();
        boolean[] set = {false};
        entries.compute(key, (k, old) -> {
            if (old != null && !old.expired(now)) {
                return old;
            }
            set[0] = true;
            return new Entry(value, null, exp);
        });
        return set[0];
    }

    @Override
    public boolean delete(String key) {
        Entry e = entries.remove(key);
        return e != null && !e.expired(clock.getAsLong());
    }

    @Override
    public boolean exists(String key) {
        return live(key) != null;
    }

    @Override
    public Optional<Duration> ttl(String key) {
        Entry e = live(key);
        if (e == null || e.expiresAt() == 0) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis(Math.max(0, e.expiresAt() - clock.getAsLong())));
    }

    @Override
    public boolean expire(String key, Duration ttl) {
        long exp = expiry(ttl);
        long now = clock.getAsLong();
        boolean[] found = {false};
        entries.computeIfPresent(key, (k, old) -> {
            if (old.expired(now)) {
                return null;
            }
            found[0] = true;
            return new Entry(old.value(), old.hash(), exp);
        });
        return found[0];
    }

    @Override
    public long increment(String key, long delta, Duration ttlIfNew) {
        long now = clock.getAsLong();
        long exp = expiry(ttlIfNew);
        Entry updated = entries.compute(key, (k, old) -> {
            if (old == null || old.expired(now)) {
                return new Entry(Long.toString(delta), null, exp);
            }
            if (old.value() == null) {
                throw new IllegalStateException("key " + key + " holds a hash, not a counter");
            }
            long current;
            try {
                current = Long.parseLong(old.value());
            } catch (NumberFormatException e) {
                throw new IllegalStateException("key " + key + " does not hold a counter");
            }
            return new Entry(Long.toString(Math.addExact(current, delta)), null, old.expiresAt());
        });
        return Long.parseLong(updated.value());
    }

    @Override
    public Optional<String> hget(String key, String field) {
        Entry e = live(key);
        return e == null || e.hash() == null ? Optional.empty() : Optional.ofNullable(e.hash().get(field));
    }

    @Override
    public void hset(String key, String field, String value) {
        long now = clock.getAsLong();
        entries.compute(key, (k, old) -> {
            if (old == null || old.expired(now)) {
                Map<String, String> h = new ConcurrentHashMap<>();
                h.put(field, value);
                return new Entry(null, h, 0);
            }
            if (old.hash() == null) {
                throw new IllegalStateException("key " + key + " holds a value, not a hash");
            }
            old.hash().put(field, value);
            return old;
        });
    }

    @Override
    public boolean hdel(String key, String field) {
        long now = clock.getAsLong();
        boolean[] removed = {false};
        entries.computeIfPresent(key, (k, old) -> {
            if (old.expired(now) || old.hash() == null) {
                return old.expired(now) ? null : old;
            }
            removed[0] = old.hash().remove(field) != null;
            return old.hash().isEmpty() ? null : old;
        });
        return removed[0];
    }

    @Override
    public Map<String, String> hgetAll(String key) {
        Entry e = live(key);
        return e == null || e.hash() == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(e.hash()));
    }

    @Override
    public void publish(String channel, String message) {
        List<Consumer<String>> list = subscribers.get(channel);
        if (list == null || list.isEmpty()) {
            return;
        }
        delivery.execute(() -> deliver(list, channel, message));
    }

    /** Hands a message to each listener in turn; one failing listener does not keep it from the others. */
    static void deliver(List<Consumer<String>> listeners, String channel, String message) {
        for (Consumer<String> listener : listeners) {
            try {
                listener.accept(message);
            } catch (RuntimeException e) {
                logger.warn("subscriber of {} failed", channel, e);
            }
        }
    }

    @Override
    public Subscription subscribe(String channel, Consumer<String> listener) {
        subscribers.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> subscribers.computeIfPresent(channel, (c, list) -> {
            list.remove(listener);
            return list.isEmpty() ? null : list;
        });
    }

    @Override
    public void ping() {
        // always reachable
    }

    @Override
    public String kind() {
        return "memory";
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        delivery.shutdown();
    }
}

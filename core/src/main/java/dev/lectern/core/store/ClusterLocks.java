package dev.lectern.core.store;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named try-locks that hold across every node sharing the ephemeral store: "one upload at a time per user" is one
 * lock per user. On Redis a lock is a key set with {@code NX PX <ttl>} holding a random token; its holder renews the
 * expiry every third of the ttl while it works (one daemon thread, never an event loop), and only the token's holder
 * can renew or delete it (Lua compare-and-act), so a lock whose holder stalled past its expiry and was taken by
 * another cannot be released by the first. A node that dies frees its locks within the ttl. Without Redis the locks
 * are in-process (one node). {@link #tryAcquire} may block on Redis: call it from the blocking executor.
 */
public final class ClusterLocks implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(ClusterLocks.class);
    private static final RedisScript RENEW = new RedisScript(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end");
    private static final RedisScript RELEASE = new RedisScript(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end");

    /**
     * A held lock; release it when the work is over (further calls do nothing). Releasing never blocks (the Redis
     * delete runs on the renewal thread), so an event loop may release.
     */
    public interface Lease {
        void release();
    }

    private final RedisEphemeralStore redis;
    private final Duration ttl;
    private final java.util.Set<String> local = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService renewer;

    private ClusterLocks(RedisEphemeralStore redis, Duration ttl) {
        this.redis = redis;
        this.ttl = ttl;
        this.renewer = redis == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lectern-lock-renewer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Locks on Redis when {@code store} is Redis (expiring after {@code ttl} unless renewed), in-process otherwise. */
    public static ClusterLocks on(EphemeralStore store, Duration ttl) {
        if (ttl.toMillis() < 3) {
            throw new IllegalArgumentException("lock ttl too short: " + ttl);
        }
        return new ClusterLocks(store instanceof RedisEphemeralStore r ? r : null, ttl);
    }

    /**
     * {@link #tryAcquire} without blocking the caller: at once for in-process locks (so requests are served in the
     * order they came), on {@code blocking} for Redis locks.
     */
    public java.util.concurrent.CompletableFuture<Optional<Lease>> tryAcquire(String name,
                                                                            java.util.concurrent.Executor blocking) {
        if (redis == null) {
            return java.util.concurrent.CompletableFuture.completedFuture(tryAcquire(name));
        }
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> tryAcquire(name), blocking);
    }

    /** The lock called {@code name} if nobody holds it; empty when somebody (on any node) does. */
    public Optional<Lease> tryAcquire(String name) {
        String key = "lock:" + name;
        if (redis == null) {
            if (!local.add(key)) {
                return Optional.empty();
            }
            AtomicBoolean released = new AtomicBoolean();
            return Optional.of(() -> {
                if (released.compareAndSet(false, true)) {
                    local.remove(key);
                }
            });
        }
        String token = UUID.randomUUID().toString();
        if (!redis.setIfAbsent(key, token, ttl)) {
            return Optional.empty();
        }
        long every = Math.max(1, ttl.toMillis() / 3);
        ScheduledFuture<?> renewal = renewer.scheduleWithFixedDelay(() -> renew(key, token), every, every,
                TimeUnit.MILLISECONDS);
        AtomicBoolean released = new AtomicBoolean();
        return Optional.of(() -> {
            if (released.compareAndSet(false, true)) {
                renewal.cancel(false);
                try {
                    renewer.execute(() -> {
                        try {
                            redis.eval(RELEASE, List.of(key), List.of(token));
                        } catch (RuntimeException e) {
                            logger.warn("lock {} not released ({}); it expires within {} ms", key, e.toString(),
                                    ttl.toMillis());
                        }
                    });
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // closing: the key expires within the ttl
                }
            }
        });
    }

    private void renew(String key, String token) {
        try {
            Object renewed = redis.eval(RENEW, List.of(key), List.of(token, Long.toString(ttl.toMillis())));
            if (!(renewed instanceof Long n) || n != 1) {
                logger.warn("lock {} was lost before its holder released it", key);
            }
        } catch (RuntimeException e) {
            logger.warn("lock {} not renewed: {}", key, e.toString());
        }
    }

    @Override
    public void close() {
        if (renewer != null) {
            renewer.shutdownNow();
        }
    }
}

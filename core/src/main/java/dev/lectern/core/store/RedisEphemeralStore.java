package dev.lectern.core.store;

import dev.lectern.core.config.StorageConfig;
import dev.lectern.core.store.redis.internal.RedisEndpoint;
import dev.lectern.core.store.redis.internal.RedisPubSub;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.SetParams;

/**
 * Ephemeral state in Redis, shared by every node: pooled Jedis connections with short connect and socket timeouts, so
 * that a dead or hung Redis fails a call with {@link StoreUnavailableException} within about one timeout instead of
 * hanging it. Every key and channel gets the configured prefix. Pub/sub runs on {@link RedisPubSub}, its two
 * connections on one thread of the store's own, which reconnects and resubscribes every channel with a listener when
 * Redis comes back and pings a quiet connection to find one that died without a reset.
 *
 * <p>Besides the {@link EphemeralStore} operations, named ones for components built on Redis (the cluster bus):
 * scripts ({@link #eval}), sets, and batches of commands in one round trip ({@link #batch}).
 */
public final class RedisEphemeralStore implements EphemeralStore {
    private static final Logger logger = LoggerFactory.getLogger(RedisEphemeralStore.class);
    private static final String STORE = "redis";
    /** INCRBY, and PEXPIRE only when the counter did not exist before (fixed-window counters keep their expiry). */
    private static final String INCREMENT = "local existed = redis.call('EXISTS', KEYS[1])\n"
            + "local v = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
            + "if existed == 0 and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n"
            + "return v";
    private static final RedisScript INCREMENT_SCRIPT = new RedisScript(INCREMENT);
    /** Publishes waiting for Redis's answer on the pub/sub connection, beyond which a publish is refused. */
    private static final int PUBLISH_QUEUE_LIMIT = 10_000;

    private final String prefix;
    private final HostAndPort address;
    private final JedisClientConfig clientConfig;
    private final JedisPool pool;
    private final RedisEndpoint endpoint;
    private final long confirmTimeoutMillis;

    // pub/sub
    private final RedisPubSub pubSub;
    /** Listeners per full channel name (guarded by {@link #subscriptionLock}). */
    private final Map<String, List<Consumer<String>>> listeners = new HashMap<>();
    private final Object subscriptionLock = new Object();
    private volatile boolean closed;

    public RedisEphemeralStore(StorageConfig.Redis config, String password) {
        URI uri = URI.create(config.url());
        this.prefix = config.keyPrefix();
        this.address = new HostAndPort(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 6379);
        int database = 0;
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            database = Integer.parseInt(path.substring(1)); // checked by StorageConfig.Redis
        }
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(config.connectTimeoutMillis())
                .socketTimeoutMillis(config.socketTimeoutMillis())
                .database(database)
                .ssl("rediss".equals(uri.getScheme()))
                .resp2()
                .clientName("lectern");
        if (password != null && !password.isEmpty()) {
            b.password(password);
        }
        this.clientConfig = b.build();
        GenericObjectPoolConfig<Jedis> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(config.poolSize());
        poolConfig.setMaxIdle(config.poolSize());
        poolConfig.setMinIdle(0);
        // an exhausted pool waits no longer than a connect would take
        poolConfig.setMaxWait(Duration.ofMillis(config.connectTimeoutMillis()));
        poolConfig.setJmxEnabled(false);
        this.pool = new JedisPool(poolConfig, address, clientConfig);
        this.confirmTimeoutMillis = (long) config.connectTimeoutMillis() + config.socketTimeoutMillis();
        // A silently dead pub/sub connection (a partition without a reset) would never be noticed: a connection
        // quiet for a ping interval is pinged, and one that answers nothing for three intervals is replaced.
        int pingIntervalMillis = Math.max(1000, config.socketTimeoutMillis());
        this.endpoint = new RedisEndpoint(address.getHost(), address.getPort(), "rediss".equals(uri.getScheme()),
                password == null ? "" : password, config.connectTimeoutMillis(), pingIntervalMillis);
        this.pubSub = RedisPubSub.onOwnThread("lectern-redis-pubsub", endpoint, PUBLISH_QUEUE_LIMIT,
                RedisPubSub.StateListener.NONE);
        pubSub.start();
    }

    private String k(String key) {
        return prefix + key;
    }

    /** The full Redis name of a key or channel (with the configured prefix), for scripts and pipelines. */
    public String key(String key) {
        return k(key);
    }

    /** How to reach this Redis from a client of one's own (the password included: never log it). */
    public RedisEndpoint endpoint() {
        return endpoint;
    }

    /**
     * Runs a Lua script (by its SHA-1 once Redis has it) on {@code keys}, which get the prefix; {@code args} go as
     * they are. Returns Redis's reply as Jedis gives it: {@code null}, a {@code Long}, a {@code String} or a
     * {@code List} of those.
     */
    public Object eval(RedisScript script, List<String> keys, List<String> args) {
        List<String> full = keys.stream().map(this::k).toList();
        return call(j -> {
            String sha = script.sha;
            if (sha != null) {
                try {
                    return j.evalsha(sha, full, args);
                } catch (JedisNoScriptException e) {
                    // a restarted or flushed Redis forgot the script: load it again
                }
            }
            script.sha = j.scriptLoad(script.source);
            return j.evalsha(script.sha, full, args);
        });
    }

    /** SADD. */
    public void setAdd(String key, String member) {
        call(j -> j.sadd(k(key), member));
    }

    /** SMEMBERS: the members of a set, empty when it is absent. */
    public Set<String> setMembers(String key) {
        return Set.copyOf(call(j -> j.smembers(k(key))));
    }

    /** SCARD: the size of a set, 0 when it is absent. */
    public long setSize(String key) {
        return call(j -> j.scard(k(key)));
    }

    /** Sends the commands {@code commands} adds to the batch in one round trip, and reads their answers. */
    public void batch(Consumer<RedisBatch> commands) {
        call(j -> {
            Pipeline p = j.pipelined();
            commands.accept(new RedisBatch(p, prefix));
            p.sync();
            return null;
        });
    }

    /** Runs one command on a pooled connection, turning connection trouble into {@link StoreUnavailableException}. */
    private <T> T call(Function<Jedis, T> command) {
        checkOpen();
        try (Jedis jedis = pool.getResource()) {
            return command.apply(jedis);
        } catch (JedisConnectionException e) {
            // the idle connections went the same way: drop them so that the first call after recovery succeeds
            pool.clear();
            throw new StoreUnavailableException(STORE, describe(e), e);
        } catch (JedisDataException e) {
            throw new IllegalStateException("redis refused the command: " + e.getMessage(), e);
        } catch (JedisException e) {
            // pool exhausted (every connection busy or stuck) or a broken pool: also an outage for the caller
            throw new StoreUnavailableException(STORE, describe(e), e);
        }
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    static long millis(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive: " + ttl);
        }
        return Math.max(1, ttl.toMillis());
    }

    @Override
    public Optional<String> get(String key) {
        return Optional.ofNullable(call(j -> j.get(k(key))));
    }

    @Override
    public void set(String key, String value, Duration ttl) {
        SetParams params = ttl == null ? new SetParams() : new SetParams().px(millis(ttl));
        call(j -> j.set(k(key), value, params));
    }

    @Override
    public boolean setIfAbsent(String key, String value, Duration ttl) {
        SetParams params = new SetParams().nx();
        if (ttl != null) {
            params.px(millis(ttl));
        }
        return "OK".equals(call(j -> j.set(k(key), value, params)));
    }

    @Override
    public boolean delete(String key) {
        return call(j -> j.del(k(key))) > 0;
    }

    @Override
    public boolean exists(String key) {
        return call(j -> j.exists(k(key)));
    }

    @Override
    public Optional<Duration> ttl(String key) {
        long pttl = call(j -> j.pttl(k(key)));
        return pttl < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(pttl));
    }

    @Override
    public boolean expire(String key, Duration ttl) {
        long ms = millis(ttl);
        return call(j -> j.pexpire(k(key), ms)) == 1;
    }

    @Override
    public long increment(String key, long delta, Duration ttlIfNew) {
        long ms = ttlIfNew == null ? 0 : millis(ttlIfNew);
        List<String> args = List.of(Long.toString(delta), Long.toString(ms));
        return (Long) eval(INCREMENT_SCRIPT, List.of(key), args);
    }

    @Override
    public Optional<String> hget(String key, String field) {
        return Optional.ofNullable(call(j -> j.hget(k(key), field)));
    }

    @Override
    public void hset(String key, String field, String value) {
        call(j -> j.hset(k(key), field, value));
    }

    @Override
    public boolean hdel(String key, String field) {
        return call(j -> j.hdel(k(key), field)) > 0;
    }

    @Override
    public Map<String, String> hgetAll(String key) {
        return Map.copyOf(call(j -> j.hgetAll(k(key))));
    }

    /**
     * Publishes on the pub/sub's publishing connection and returns once Redis has answered. While that connection is
     * down it waits for it (it is tried again at once) about one connect and one read timeout, then throws
     * {@link StoreUnavailableException}.
     */
    @Override
    public void publish(String channel, String message) {
        checkOpen();
        if (!pubSub.connected()) {
            await(pubSub.whenConnected(), "pub/sub connection down");
        }
        await(pubSub.publishConfirmed(k(channel), message), "publish not answered");
    }

    private void await(CompletableFuture<Void> f, String what) {
        try {
            f.get(confirmTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new StoreUnavailableException(STORE, what + " within " + confirmTimeoutMillis + " ms", e);
        } catch (ExecutionException e) {
            throw new StoreUnavailableException(STORE, what + ": " + describe(e), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException(STORE, "interrupted", e);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new StoreUnavailableException(STORE, "store is closed", null);
        }
    }

    @Override
    public void ping() {
        call(Jedis::ping);
    }

    @Override
    public String kind() {
        return STORE;
    }

    // --- pub/sub

    /**
     * Adds a listener; it runs on the store's pub/sub thread. When Redis is reachable this returns once Redis has
     * confirmed the subscription, so a message published afterwards is delivered; when it is not, the subscription is
     * made as soon as Redis is back.
     */
    @Override
    public Subscription subscribe(String channel, Consumer<String> listener) {
        checkOpen();
        String full = k(channel);
        CompletableFuture<Void> confirmed;
        synchronized (subscriptionLock) {
            List<Consumer<String>> list = listeners.computeIfAbsent(full, c -> new CopyOnWriteArrayList<>());
            list.add(listener);
            // (again) for each listener: the future confirms this caller's subscription, not an earlier one
            confirmed = pubSub.subscribeText(full, message -> InMemoryEphemeralStore.deliver(list, channel, message));
        }
        boolean connected = pubSub.connected();
        try {
            // on a live connection the confirmation is one round trip, so a busy Redis gets longer; otherwise wait
            // about one connection attempt (the connection may be opening right now) and no more
            long wait = connected ? Math.max(5000, confirmTimeoutMillis) : confirmTimeoutMillis;
            confirmed.get(wait, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            logger.debug("subscription to {} not yet confirmed; it is made when redis is reachable", channel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            logger.debug("subscription to {} failed", channel, e.getCause());
        }
        return () -> unsubscribe(full, listener);
    }

    private void unsubscribe(String full, Consumer<String> listener) {
        synchronized (subscriptionLock) {
            List<Consumer<String>> list = listeners.get(full);
            if (list == null || !list.remove(listener) || !list.isEmpty()) {
                return;
            }
            listeners.remove(full);
            pubSub.unsubscribe(full);
        }
    }

    @Override
    public void close() {
        synchronized (subscriptionLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            pubSub.close(confirmTimeoutMillis).get(confirmTimeoutMillis + 5000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            logger.debug("redis pub/sub did not close in time", e);
        }
        pool.close();
    }
}

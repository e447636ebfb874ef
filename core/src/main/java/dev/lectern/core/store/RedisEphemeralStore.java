package dev.lectern.core.store;

import dev.lectern.core.config.StorageConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.SetParams;

/**
 * Ephemeral state in Redis, shared by every node: pooled Jedis connections with short connect and socket timeouts, so
 * that a dead or hung Redis fails a call with {@link StoreUnavailableException} within about one timeout instead of
 * hanging it. Every key and channel gets the configured prefix. Pub/sub runs on one dedicated connection and thread,
 * which reconnects and resubscribes every channel with a listener when Redis comes back.
 */
public final class RedisEphemeralStore implements EphemeralStore {
    private static final Logger logger = LoggerFactory.getLogger(RedisEphemeralStore.class);
    private static final String STORE = "redis";
    /** INCRBY, and PEXPIRE only when the counter did not exist before (fixed-window counters keep their expiry). */
    private static final String INCREMENT = "local existed = redis.call('EXISTS', KEYS[1])\n"
            + "local v = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
            + "if existed == 0 and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n"
            + "return v";
    private static final long MAX_BACKOFF_MILLIS = 2000;

    private final String prefix;
    private final HostAndPort address;
    private final JedisClientConfig clientConfig;
    private final JedisPool pool;
    private final RedisEndpoint endpoint;
    private final long confirmTimeoutMillis;
    /** SHA-1 of {@link #INCREMENT} once loaded, so that each increment sends 40 bytes instead of the script. */
    private volatile String incrementSha;

    // pub/sub
    private final Map<String, List<Consumer<String>>> listeners = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> confirmations = new ConcurrentHashMap<>();
    private final Object subscriberLock = new Object();
    private final Thread subscriberThread;
    private final ScheduledExecutorService pinger;
    private final int pubSubReadTimeoutMillis;
    private volatile Subscriber subscriber;
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
        // A silently dead subscription connection (a partition without a reset) would never be noticed: the
        // subscriber pings, and a read that sees nothing, not even the pong, for three intervals reconnects.
        int pingIntervalMillis = Math.max(1000, config.socketTimeoutMillis());
        this.pubSubReadTimeoutMillis = 3 * pingIntervalMillis;
        this.endpoint = new RedisEndpoint(address.getHost(), address.getPort(), "rediss".equals(uri.getScheme()),
                password == null ? "" : password, config.connectTimeoutMillis(), pingIntervalMillis);
        this.pinger = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lectern-redis-pubsub-ping");
            t.setDaemon(true);
            return t;
        });
        pinger.scheduleWithFixedDelay(this::pingSubscription, pingIntervalMillis, pingIntervalMillis,
                TimeUnit.MILLISECONDS);
        this.subscriberThread = new Thread(this::subscribeLoop, "lectern-redis-pubsub");
        subscriberThread.setDaemon(true);
        subscriberThread.start();
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
     * Runs commands on a pooled connection (pipelines, scripts) for components built on this store, with the same
     * outage handling as every other call: connection trouble throws {@link StoreUnavailableException}. Blocking.
     */
    public <T> T withConnection(Function<Jedis, T> commands) {
        return call(commands);
    }

    /** Runs one command on a pooled connection, turning connection trouble into {@link StoreUnavailableException}. */
    private <T> T call(Function<Jedis, T> command) {
        if (closed) {
            throw new StoreUnavailableException(STORE, "store is closed", null);
        }
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

    private static long millis(Duration ttl) {
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
        List<String> keys = List.of(k(key));
        List<String> args = List.of(Long.toString(delta), Long.toString(ms));
        Object result = call(j -> {
            String sha = incrementSha;
            if (sha != null) {
                try {
                    return j.evalsha(sha, keys, args);
                } catch (JedisNoScriptException e) {
                    // a restarted or flushed Redis forgot the script: load it again
                }
            }
            incrementSha = j.scriptLoad(INCREMENT);
            return j.evalsha(incrementSha, keys, args);
        });
        return (Long) result;
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

    @Override
    public void publish(String channel, String message) {
        call(j -> j.publish(k(channel), message));
    }

    @Override
    public void ping() {
        call(Jedis::ping);
    }

    @Override
    public String kind() {
        return STORE;
    }

    // --- pub/sub on a dedicated connection

    /**
     * Adds a listener. When Redis is reachable this returns once Redis has confirmed the subscription, so a message
     * published afterwards is delivered; when it is not, the subscription is made as soon as Redis is back.
     */
    @Override
    public Subscription subscribe(String channel, Consumer<String> listener) {
        return subscribe(channel, listener, true);
    }

    /**
     * As {@link #subscribe(String, Consumer)}; with {@code awaitConfirmation} false it returns at once (the
     * subscription is made on the pub/sub connection as soon as it can be).
     */
    public Subscription subscribe(String channel, Consumer<String> listener, boolean awaitConfirmation) {
        if (closed) {
            throw new StoreUnavailableException(STORE, "store is closed", null);
        }
        String full = k(channel);
        CompletableFuture<Void> confirmed;
        boolean connected;
        synchronized (subscriberLock) {
            confirmed = confirmations.computeIfAbsent(full, c -> new CompletableFuture<>());
            listeners.computeIfAbsent(full, c -> new CopyOnWriteArrayList<>()).add(listener);
            Subscriber s = subscriber;
            connected = s != null && s.isSubscribed();
            if (connected) {
                s.subscribe(full);
            }
        }
        if (!awaitConfirmation) {
            return () -> unsubscribe(full, listener);
        }
        try {
            // on a live connection the confirmation is one round trip, so a busy Redis gets longer; otherwise wait
            // about one connection attempt (the subscriber may be connecting right now) and no more
            long wait = connected ? Math.max(5000, confirmTimeoutMillis) : confirmTimeoutMillis;
            confirmed.get(wait, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            logger.debug("subscription to {} not yet confirmed; it is made when redis is reachable", channel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            logger.debug("subscription to {} failed", channel, e);
        }
        return () -> unsubscribe(full, listener);
    }

    private void unsubscribe(String full, Consumer<String> listener) {
        synchronized (subscriberLock) {
            List<Consumer<String>> list = listeners.get(full);
            if (list == null || !list.remove(listener) || !list.isEmpty()) {
                return;
            }
            listeners.remove(full);
            confirmations.remove(full);
            Subscriber s = subscriber;
            if (s != null && s.isSubscribed()) {
                try {
                    s.unsubscribe(full);
                } catch (JedisException e) {
                    logger.debug("unsubscribe from {} failed; the connection is being replaced", full, e);
                }
            }
        }
    }

    private void pingSubscription() {
        synchronized (subscriberLock) {
            Subscriber s = subscriber;
            if (s != null && s.isSubscribed()) {
                try {
                    s.ping();
                } catch (JedisException e) {
                    logger.debug("pub/sub ping failed; the subscriber thread reconnects", e);
                }
            }
        }
    }

    /** The subscriber thread: (re)connects, subscribes a control channel plus every wanted channel, delivers. */
    private void subscribeLoop() {
        long backoff = 50;
        boolean reportedDown = false;
        String control = k("__lectern_pubsub_control");
        while (!closed) {
            Subscriber s = null;
            try (Jedis jedis = new Jedis(address, clientConfig)) {
                s = new Subscriber(control, jedis);
                synchronized (subscriberLock) {
                    if (closed) {
                        return;
                    }
                    subscriber = s;
                }
                if (reportedDown) {
                    logger.info("redis pub/sub reconnected; resubscribing {} channels", listeners.size());
                    reportedDown = false;
                }
                backoff = 50;
                jedis.subscribe(s, control); // blocks until unsubscribed or the connection breaks
            } catch (JedisException e) {
                if (closed) {
                    return;
                }
                if (!reportedDown) {
                    logger.warn("redis pub/sub connection lost ({}); retrying", describe(e));
                    reportedDown = true;
                }
            } catch (RuntimeException e) {
                logger.warn("redis pub/sub loop failed; retrying", e);
            } finally {
                synchronized (subscriberLock) {
                    if (s != null && subscriber == s) {
                        subscriber = null;
                    }
                    // confirmations are redone on the next connection
                    confirmations.replaceAll((c, f) -> f.isDone() ? new CompletableFuture<>() : f);
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(backoff); // reconnect back-off on a store thread, never an event loop
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
        }
    }

    private final class Subscriber extends JedisPubSub {
        private final String control;
        private final Jedis jedis;

        Subscriber(String control, Jedis jedis) {
            this.control = control;
            this.jedis = jedis;
        }

        @Override
        public void onSubscribe(String channel, int subscribedChannels) {
            if (channel.equals(control)) {
                // subscribe() made reads wait forever; the pings keep a healthy connection talking within this
                jedis.getConnection().setSoTimeout(pubSubReadTimeoutMillis);
                synchronized (subscriberLock) {
                    Set<String> wanted = listeners.keySet();
                    if (!wanted.isEmpty()) {
                        subscribe(new ArrayList<>(wanted).toArray(new String[0]));
                    }
                }
                return;
            }
            CompletableFuture<Void> f = confirmations.get(channel);
            if (f != null) {
                f.complete(null);
            }
        }

        @Override
        public void onMessage(String channel, String message) {
            List<Consumer<String>> list = listeners.get(channel);
            if (list != null) {
                InMemoryEphemeralStore.deliver(list, channel.substring(prefix.length()), message);
            }
        }
    }

    @Override
    public void close() {
        synchronized (subscriberLock) {
            if (closed) {
                return;
            }
            closed = true;
            Subscriber s = subscriber;
            if (s != null && s.isSubscribed()) {
                try {
                    s.unsubscribe();
                } catch (JedisException e) {
                    logger.debug("unsubscribe on close failed", e);
                }
            }
        }
        pinger.shutdownNow();
        subscriberThread.interrupt();
        try {
            subscriberThread.join(confirmTimeoutMillis + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.close();
    }
}

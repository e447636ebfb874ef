package dev.lectern.core.store;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.SetParams;

/**
 * Commands sent together in one round trip by {@link RedisEphemeralStore#batch}; keys get the store's prefix. Not
 * atomic: each command runs on its own, in order. Answers are read after the batch has run.
 */
public final class RedisBatch {
    private final Pipeline pipeline;
    private final String prefix;

    RedisBatch(Pipeline pipeline, String prefix) {
        this.pipeline = pipeline;
        this.prefix = prefix;
    }

    /** SET with an expiry. */
    public void set(String key, String value, Duration ttl) {
        pipeline.set(prefix + key, value, new SetParams().px(RedisEphemeralStore.millis(ttl)));
    }

    /** SADD. */
    public void setAdd(String key, String member) {
        pipeline.sadd(prefix + key, member);
    }

    /** HSET; the answer, once the batch has run, says whether the field was new. */
    public BooleanSupplier hsetNew(String key, String field, String value) {
        Response<Long> added = pipeline.hset(prefix + key, field, value);
        return () -> added.get() == 1;
    }

    /** PEXPIRE. */
    public void expire(String key, Duration ttl) {
        pipeline.pexpire(prefix + key, RedisEphemeralStore.millis(ttl));
    }
}

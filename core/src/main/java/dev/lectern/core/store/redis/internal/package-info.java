/**
 * Redis pub/sub as a fast path: {@link dev.lectern.core.store.redis.internal.RedisPubSub} keeps a publishing and a
 * subscribed RESP2 connection on one Netty event loop and reads replies with
 * {@link dev.lectern.core.store.redis.internal.RespReplyDecoder}, which makes no object per bulk string. It is the one
 * pub/sub path: the cluster bus runs it on a server event loop (room events reach Redis and come back without a thread
 * hop), the Redis ephemeral store on a thread of its own. Everything else talks to Redis through Jedis.
 *
 * <p>The benchmark it serves: {@code bin/bench ClusterRelay --clients 1000 --rates 5000 --seconds 20} (two nodes on one
 * Redis, every room split across them), target <b>p99 under 5 ms from send to receipt at 5,000 msg/s</b> on a quiet
 * two-core machine. Replacing it with a general client (Jedis's blocking subscriber, Netty's {@code RedisDecoder} with
 * its aggregators, Lettuce) should be weighed against that figure and the node CPU per message it reports.
 */
package dev.lectern.core.store.redis.internal;

/**
 * The Redis cluster bus ({@link dev.lectern.signaling.cluster.internal.RedisClusterBus}): room events leave and arrive
 * as the bytes of {@code dev.lectern.core.store.redis.internal.RedisPubSub}'s connections on a server event loop. A
 * room event is encoded once, to bytes, on the sender's thread and numbered on the loop as it is written into the
 * PUBLISH buffer; a node recognises its own echo by a byte prefix before parsing anything, reads the rest with a
 * streaming parser and passes the event's data on to its sockets as the raw JSON it came in (no tree is built and
 * written again per message). While Redis is away the events wait in a bounded outage buffer and go out in order once
 * every live node listens again. The rest of the code sees it as a {@link dev.lectern.signaling.cluster.ClusterBus}.
 *
 * <p>The benchmark it serves: {@code bin/bench ClusterRelay --peer node --clients 1000 --rates 5000,10000 --rounds 5}
 * (two nodes on one Redis, every room split across them, against two Node.js socket.io nodes on
 * {@code @socket.io/redis-adapter} in alternating rounds), targets of issue 26: <b>CPU per relayed message at most
 * half the Node.js adapter's and p99 at most a third of its</b>, median of five rounds on a quiet two-core machine;
 * without {@code --peer}, p99 under 5 ms at 5,000 msg/s (docs/perf). A change here (say, back to a tree per message,
 * or to a general Redis client) is weighed against those ratios.
 */
package dev.lectern.signaling.cluster.internal;

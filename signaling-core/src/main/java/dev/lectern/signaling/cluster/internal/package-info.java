/**
 * The Redis cluster bus ({@link dev.lectern.signaling.cluster.internal.RedisClusterBus}): room events leave and arrive
 * as the bytes of {@code dev.lectern.core.store.redis.internal.RedisPubSub}'s connections on a server event loop; a
 * node recognises its own echo by a byte prefix before parsing anything and parses the rest straight from the buffer.
 * The rest of the code sees it as a {@link dev.lectern.signaling.cluster.ClusterBus}.
 *
 * <p>The benchmark it serves: {@code bin/bench ClusterRelay --clients 1000 --rates 5000 --seconds 20} (two nodes on one
 * Redis, every room split across them), target <b>p99 under 5 ms from send to receipt at 5,000 msg/s</b> on a quiet
 * two-core machine, with the node CPU per message it reports (docs/perf).
 */
package dev.lectern.signaling.cluster.internal;

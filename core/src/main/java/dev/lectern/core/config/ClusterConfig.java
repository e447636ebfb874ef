package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkRange;

/**
 * Several nodes behind one load balancer: {@code mode: local} (one node, rooms in this process) or {@code redis}
 * (room membership in Redis, room events fanned out over Redis pub/sub, one channel per room; needs
 * {@code storage.redis.url}). A node announces itself with a heartbeat key that expires after
 * {@code heartbeatTtlMillis}; the members of a node whose heartbeat expired are removed by the others, who tell the
 * rooms {@code peer-left}. While Redis is away a node keeps the room events for other nodes, up to
 * {@code outageBufferBytes} (what they hold in memory) and {@code outageBufferMillis} old, and sends them in order when
 * it is back; an event given up gets its sender an {@code error} ({@code not_delivered}).
 */
public record ClusterConfig(String mode, String nodeId, long heartbeatIntervalMillis, long heartbeatTtlMillis,
                            int publishQueueLimit, long outageBufferBytes, long outageBufferMillis) {
    public ClusterConfig {
        if (!"local".equals(mode) && !"redis".equals(mode)) {
            throw new ConfigException("cluster.mode: " + mode + " (expected local or redis)");
        }
        nodeId = nodeId == null ? "" : nodeId.trim();
        if (!nodeId.isEmpty() && !nodeId.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new ConfigException("cluster.nodeId: " + nodeId + " (expected [A-Za-z0-9._-]{1,64} or \"\")");
        }
        checkRange(heartbeatIntervalMillis, 50, 600_000, "cluster.heartbeatIntervalMillis");
        checkRange(heartbeatTtlMillis, 100, 3_600_000, "cluster.heartbeatTtlMillis");
        if (heartbeatTtlMillis < 2 * heartbeatIntervalMillis) {
            throw new ConfigException("cluster.heartbeatTtlMillis: " + heartbeatTtlMillis
                    + " must be at least twice cluster.heartbeatIntervalMillis (" + heartbeatIntervalMillis + ")");
        }
        checkRange(publishQueueLimit, 16, 10_000_000, "cluster.publishQueueLimit");
        checkRange(outageBufferBytes, 0, 16L << 30, "cluster.outageBufferBytes");
        checkRange(outageBufferMillis, 0, 600_000, "cluster.outageBufferMillis");
    }

    public boolean redis() {
        return "redis".equals(mode);
    }
}

package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkNonNegative;
import static dev.lectern.core.config.Checks.checkNotBlank;
import static dev.lectern.core.config.Checks.checkPort;
import static dev.lectern.core.config.Checks.checkPositive;

import java.util.List;

/**
 * The HTTP port: REST, SSE and the avatar proxy. {@code trustedProxies}: address blocks (CIDR) whose
 * {@code X-Forwarded-For} is believed; from anyone else it is ignored.
 */
public record HttpConfig(
        String host,
        int port,
        int ioThreads,
        int maxContentBytes,
        int maxInitialLineBytes,
        int maxHeaderBytes,
        long idleTimeoutMillis,
        long requestTimeoutMillis,
        long shutdownGraceMillis,
        int writeBufferLowWaterMarkBytes,
        int writeBufferHighWaterMarkBytes,
        int blockingThreads,
        int blockingQueueSize,
        Cors cors,
        List<String> trustedProxies) {

    public HttpConfig {
        checkNotBlank(host, "http.host");
        checkPort(port, "http.port");
        checkNonNegative(ioThreads, "http.ioThreads");
        checkPositive(maxContentBytes, "http.maxContentBytes");
        checkPositive(maxInitialLineBytes, "http.maxInitialLineBytes");
        checkPositive(maxHeaderBytes, "http.maxHeaderBytes");
        checkPositive(idleTimeoutMillis, "http.idleTimeoutMillis");
        checkPositive(requestTimeoutMillis, "http.requestTimeoutMillis");
        checkNonNegative(shutdownGraceMillis, "http.shutdownGraceMillis");
        checkPositive(writeBufferLowWaterMarkBytes, "http.writeBufferLowWaterMarkBytes");
        checkPositive(writeBufferHighWaterMarkBytes, "http.writeBufferHighWaterMarkBytes");
        if (writeBufferHighWaterMarkBytes < writeBufferLowWaterMarkBytes) {
            throw new ConfigException("http.writeBufferHighWaterMarkBytes: " + writeBufferHighWaterMarkBytes
                    + " (expected: >= http.writeBufferLowWaterMarkBytes " + writeBufferLowWaterMarkBytes + ")");
        }
        checkPositive(blockingThreads, "http.blockingThreads");
        checkPositive(blockingQueueSize, "http.blockingQueueSize");
        if (cors == null) {
            throw new ConfigException("http.cors: missing");
        }
        trustedProxies = trustedProxies == null ? List.of() : Checks.copyOf(trustedProxies, "http.trustedProxies");
    }

    /** The event-loop threads to run: {@code ioThreads}, or when 0 {@link #defaultIoThreads} of this machine. */
    public int eventLoopThreads() {
        return ioThreads > 0 ? ioThreads : defaultIoThreads(Runtime.getRuntime().availableProcessors());
    }

    /**
     * Half the cores, at least one. The rest is left to what a relay also needs: the kernel's share of every send
     * and receive (more than half of a relayed message's CPU), the JIT and the collector, the blocking executor. On
     * two cores one loop spent 0.71x the CPU per relayed message of two, with 0.68x the p99 (docs/perf).
     */
    public static int defaultIoThreads(int cores) {
        return Math.max(1, cores / 2);
    }

    /** Cross-origin access for browsers. An empty list allows same-origin only; "*" allows any origin without credentials. */
    public record Cors(List<String> allowedOrigins, boolean allowCredentials, long maxAgeSeconds) {
        public Cors {
            allowedOrigins = Checks.copyOf(allowedOrigins, "http.cors.allowedOrigins");
            checkNonNegative(maxAgeSeconds, "http.cors.maxAgeSeconds");
            if (allowCredentials && allowedOrigins.contains("*")) {
                throw new ConfigException("http.cors.allowCredentials: true is not allowed with allowedOrigins \"*\""
                        + " (a wildcard origin with credentials would let any site act as the user)");
            }
        }
    }
}

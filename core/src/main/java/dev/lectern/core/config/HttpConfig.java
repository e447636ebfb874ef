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

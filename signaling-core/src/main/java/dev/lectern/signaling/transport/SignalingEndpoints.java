package dev.lectern.signaling.transport;

import dev.lectern.signaling.JsonWsEndpoint;
import dev.lectern.signaling.OriginPolicy;
import dev.lectern.signaling.engineio.EngineIoServer;
import java.util.Map;

/**
 * What one listener serves: Engine.IO servers by path prefix (e.g. {@code /socket.io/}), the JSON dialect on
 * {@code /ws} (or null), the origin policy and the frame/body limit.
 */
public record SignalingEndpoints(Map<String, EngineIoServer> engineIo, JsonWsEndpoint jsonWs, OriginPolicy origins,
        int maxPayloadBytes, long wsPingIntervalMillis, long wsPingTimeoutMillis) {
    public SignalingEndpoints {
        engineIo = Map.copyOf(engineIo);
    }
}

package dev.lectern.signaling.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lectern.core.json.Json;
import dev.lectern.signaling.engineio.EngineIoPacket;
import dev.lectern.signaling.engineio.EngineIoSession;
import dev.lectern.signaling.socketio.Namespace;
import dev.lectern.signaling.socketio.SocketIoSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the official suites ({@code socket.io-protocol/v5-test-suite}, {@code engine.io-protocol/v4-test-suite}) expect
 * of the server: {@code /} emits {@code auth} with the handshake auth, echoes {@code message} as {@code message-back}
 * and acks {@code message-with-ack}; {@code /custom} emits {@code auth}; the bare Engine.IO endpoint echoes every message.
 */
public final class ConformanceFixture {
    public static final long PING_INTERVAL_MILLIS = 300;
    public static final long PING_TIMEOUT_MILLIS = 200;
    public static final long CONNECT_TIMEOUT_MILLIS = 1000;
    public static final int MAX_PAYLOAD_BYTES = 1_000_000;
    public static final int PORT = 3000;

    private ConformanceFixture() {}

    public static Map<String, Namespace> namespaces() {
        return Map.of("/", new Fixture(true), "/custom", new Fixture(false));
    }

    /** The Engine.IO-only fixture: every message straight back. */
    public static void echo(EngineIoSession session) {
        session.listener(new EngineIoSession.Listener() {
            @Override
            public void onMessage(EngineIoSession s, EngineIoPacket packet) {
                s.send(packet);
            }

            @Override
            public void onClose(EngineIoSession s, String reason) { }
        });
    }

    private record Fixture(boolean echo) implements Namespace {
        @Override
        public CompletionStage<Object> authorize(JsonNode auth) {
            return CompletableFuture.completedFuture(auth);
        }

        @Override
        public void onConnect(SocketIoSocket socket, JsonNode auth) {
            socket.emit("auth", auth);
        }

        @Override
        public void onEvent(SocketIoSocket socket, String event, ArrayNode args, List<byte[]> attachments, Ack ack) {
            if (!echo) {
                return;
            }
            if ("message".equals(event)) {
                ArrayNode data = Json.MAPPER.createArrayNode().add("message-back");
                data.addAll(args);
                socket.emitRaw(data, attachments);
            } else if ("message-with-ack".equals(event) && ack != null) {
                ack.send(args, attachments);
            }
        }

        @Override
        public void onDisconnect(SocketIoSocket socket, String reason) { }
    }
}

package dev.lectern.signaling.transport;

import dev.lectern.signaling.engineio.EngineIoServer;
import io.netty.handler.codec.http.HttpRequest;

/**
 * A request the {@link SignalingRouterHandler} claimed, passed down the pipeline to the handler that serves it. The
 * request carries headers only (it holds no buffer); its body, if any, follows as {@code HttpContent} ending with a
 * {@code LastHttpContent}, which the claiming handler consumes.
 */
sealed interface SignalingRequest {
    HttpRequest request();

    /** An Engine.IO long-polling request (handshake, poll or post) for {@link EngineIoPollingHandler}. */
    record EngineIoPolling(HttpRequest request, EngineIoServer server, String sid) implements SignalingRequest {}

    /**
     * A WebSocket upgrade for {@link WebSocketUpgradeHandler}: Engine.IO ({@code server}, {@code sid} null for a
     * new session) or the JSON dialect ({@code token} or, in dev mode, {@code devUserId}).
     */
    record WebSocketUpgrade(HttpRequest request, WebSocketKind kind, EngineIoServer server, String sid, String token,
            String devUserId) implements SignalingRequest {}
}

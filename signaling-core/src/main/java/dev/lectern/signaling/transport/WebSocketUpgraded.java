package dev.lectern.signaling.transport;

import dev.lectern.core.auth.Principal;

/**
 * The user event {@link WebSocketUpgradeHandler} fires once the 101 response is written: the WebSocket handler of
 * that kind starts its session on it. For {@link WebSocketKind#ENGINE_IO} {@code sid} names the polling session to
 * upgrade (null opens a WebSocket-only session); for {@link WebSocketKind#JSON} {@code principal} is the
 * authenticated caller.
 */
public record WebSocketUpgraded(WebSocketKind kind, String uri, String sid, Principal principal) {}

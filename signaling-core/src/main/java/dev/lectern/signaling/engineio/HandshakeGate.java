package dev.lectern.signaling.engineio;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Asked before every Engine.IO handshake (a new session, polling or WebSocket): the server counts handshakes with the
 * REST API's per-address request limit (issue #19 item 7), so a client cannot open sessions faster than it may make
 * requests. Called on an event loop; an implementation that counts in a store does it on its own executor.
 */
@FunctionalInterface
public interface HandshakeGate {
    /** Completes with true to go on, false to refuse (over the limit); failed when the count could not be made. */
    CompletionStage<Boolean> admit(String address);

    /** Every handshake goes on (conformance fixture, unit tests). */
    HandshakeGate OPEN = address -> CompletableFuture.completedFuture(true);
}

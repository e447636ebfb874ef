package dev.lectern.core.auth;

import java.util.concurrent.CompletionStage;

/**
 * Checks an access token. Used by every entry point (REST, SSE, Socket.IO CONNECT, {@code /ws}, the avatar proxy)
 * so that they all accept and refuse the same tokens. Implementations may consult a remote store, so the answer is
 * asynchronous and callers never block an event loop on it.
 */
public interface TokenVerifier {
    /** Completes with the principal, or exceptionally with {@link InvalidTokenException}. */
    CompletionStage<Principal> verify(String token);
}

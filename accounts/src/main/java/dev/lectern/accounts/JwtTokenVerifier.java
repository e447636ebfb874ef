package dev.lectern.accounts;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.TokenVerifier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The one token check of every entry point (REST, SSE, Socket.IO CONNECT, {@code /ws}, the avatar proxy): the JWT is
 * verified and its {@code jti} looked up in the allow-list on the blocking executor, never on an event loop. Fails
 * with {@link dev.lectern.core.auth.InvalidTokenException} for a bad token and
 * {@link dev.lectern.core.store.StoreUnavailableException} when the allow-list cannot be read.
 */
public final class JwtTokenVerifier implements TokenVerifier {
    private final TokenService tokens;
    private final Executor blocking;

    public JwtTokenVerifier(TokenService tokens, Executor blocking) {
        this.tokens = tokens;
        this.blocking = blocking;
    }

    @Override
    public CompletionStage<Principal> verify(String token) {
        try {
            return CompletableFuture.supplyAsync(() -> tokens.verify(token), blocking);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e); // executor saturated
        }
    }
}

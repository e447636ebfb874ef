package dev.lectern.http.api;

import dev.lectern.accounts.TokenService;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.http.ApiHandler;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.AuthDecorator;
import dev.lectern.http.HttpDecorator;
import dev.lectern.http.Route;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Gives a client whose token expires soon a fresh one in {@code X-New-Token}, so that an active user is never
 * signed out mid-lesson. Placed after the {@link AuthDecorator}. Only once per token (the first request in the window),
 * only for a successful response, and only when the token is still on the allow-list after the handler ran — a
 * logout or password change is never undone by a refresh.
 */
public final class TokenRefreshDecorator implements HttpDecorator {
    public static final String HEADER = "X-New-Token";

    private final TokenService tokens;
    private final EphemeralStore store;
    private final Executor blocking;
    private final Duration refreshBefore;
    private final Clock clock;

    public TokenRefreshDecorator(TokenService tokens, EphemeralStore store, Executor blocking, Duration refreshBefore,
                                 Clock clock) {
        this.tokens = tokens;
        this.store = store;
        this.blocking = blocking;
        this.refreshBefore = refreshBefore;
        this.clock = clock;
    }

    @Override
    public CompletionStage<ApiResponse> apply(ApiRequest request, Route route, ApiHandler next) throws Exception {
        Principal principal = request.principal();
        String token = AuthDecorator.bearerToken(request);
        CompletionStage<ApiResponse> response = next.handle(request);
        if (principal == null || token == null || refreshBefore.isZero()) {
            return response;
        }
        Instant expires = tokens.expiresAt(token);
        if (expires == null || expires.isAfter(clock.instant().plus(refreshBefore))) {
            return response;
        }
        return response.thenCompose(resp -> {
            if (resp.status() >= 400 || route.isStreaming()) {
                return CompletableFuture.completedFuture(resp);
            }
            return CompletableFuture.supplyAsync(() -> {
                tokens.verify(token); // still allowed after the handler ran
                if (!store.setIfAbsent("refreshed:" + principal.tokenId(), "1", refreshBefore.plusSeconds(60))) {
                    return resp;
                }
                return resp.withHeader(HEADER, tokens.issue(principal.userId(), principal.role()).token());
            }, blocking).exceptionally(t -> resp);
        });
    }
}

package dev.lectern.http;

import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.TokenTypeRefusedException;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.util.Futures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Enforces each route's {@link Access}: a bearer token checked by the one {@link TokenVerifier} every entry point
 * uses; 401 when it is missing or invalid, 403 when the role is too low or the route does not take that kind of token
 * ({@link Route#tokens}). On a public route a valid token of a kind it takes still identifies the caller, and any
 * other is ignored.
 */
public final class AuthDecorator implements HttpDecorator {
    private final TokenVerifier verifier;
    /** Guest mode (null: off): the seed's routes serve a request without a token as a guest. */
    private final GuestAccess guests;

    public AuthDecorator(TokenVerifier verifier) {
        this(verifier, null);
    }

    public AuthDecorator(TokenVerifier verifier, GuestAccess guests) {
        this.verifier = verifier;
        this.guests = guests;
    }

    public static String bearerToken(ApiRequest request) {
        String header = request.header("authorization");
        if (header == null) {
            return null;
        }
        String h = header.trim();
        if (h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = h.substring(7).trim();
            return token.isEmpty() ? null : token;
        }
        return null;
    }

    @Override
    public CompletionStage<ApiResponse> apply(ApiRequest request, Route route, ApiHandler next) throws Exception {
        String token = bearerToken(request);
        Access access = route.access();
        if (!access.authenticated()) {
            if (token == null) {
                return next.handle(request);
            }
            return verifier.verify(token)
                    .handle((p, err) -> err == null && route.tokens().accepts(p) ? request.withPrincipal(p) : request)
                    .thenCompose(r -> {
                        try {
                            return next.handle(r);
                        } catch (Exception e) {
                            return CompletableFuture.failedFuture(e);
                        }
                    });
        }
        if (token == null && guests != null && guests.allows(route)) {
            return guests.admit(request, next);
        }
        if (token == null) {
            throw ServiceException.unauthorized("missing bearer token");
        }
        CompletionStage<Principal> verified = verifier.verify(token);
        if (verified instanceof CompletableFuture<Principal> f && f.isDone() && !f.isCompletedExceptionally()) {
            // the token checked without waiting (a signature, a cached look-up), as for nearly every request: the
            // route runs now, with none of the stages below. The check itself still runs for every request, so a
            // revoked token is refused on the very next one.
            Principal p = accepted(route, f.getNow(null));
            if (!p.has(access.minimumRole())) {
                throw ServiceException.forbidden("requires role " + access.minimumRole().wireName());
            }
            return next.handle(request.withPrincipal(p));
        }
        return verified
                .exceptionally(err -> {
                    Throwable t = Futures.unwrap(err);
                    if (t instanceof InvalidTokenException e) {
                        throw ServiceException.unauthorized(e.getMessage());
                    }
                    if (t instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new java.util.concurrent.CompletionException(t);
                })
                .thenCompose(verifiedPrincipal -> {
                    Principal p = accepted(route, verifiedPrincipal);
                    if (!p.has(access.minimumRole())) {
                        throw ServiceException.forbidden("requires role " + access.minimumRole().wireName());
                    }
                    try {
                        return next.handle(request.withPrincipal(p));
                    } catch (Exception e) {
                        return CompletableFuture.<ApiResponse>failedFuture(e);
                    }
                });
    }

    /**
     * The principal when the route takes its kind of token ({@link Route#tokens}, the check signaling uses too),
     * else a 403 {@code token_type_refused} naming the refused kind.
     */
    private static Principal accepted(Route route, Principal p) {
        try {
            return route.tokens().check(p);
        } catch (TokenTypeRefusedException e) {
            throw new ServiceException(403, TokenTypeRefusedException.CODE, e.getMessage());
        }
    }

    /** For tests: accept a principal directly. */
    public static TokenVerifier fixed(String token, Principal principal) {
        return t -> t.equals(token) ? CompletableFuture.completedFuture(principal)
                : CompletableFuture.failedFuture(new InvalidTokenException("invalid token"));
    }
}

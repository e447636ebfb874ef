package dev.lectern.accounts.oidc;

import com.nimbusds.jwt.JWTParser;
import dev.lectern.accounts.User;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.TokenType;
import dev.lectern.core.auth.TokenVerifier;
import java.text.ParseException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The one token check of every entry point, with external sign-in: a token whose (unverified) issuer is the configured
 * OIDC issuer is verified by {@link OidcTokenValidator} and mapped to its Lectern user by {@link OidcUsers}, on the
 * blocking executor; every other token goes to Lectern's own verifier, unchanged. The principal of an external token
 * has a token id {@code oidc:<token_use>:<jti or subject>} ({@link TokenType#tokenId}), so a route can tell which
 * kind of token it was given ({@link TokenType#of}).
 */
public final class OidcTokenVerifier implements TokenVerifier {
    /** The token id prefix of principals from external tokens. */
    public static final String TOKEN_ID_PREFIX = TokenType.OIDC_PREFIX;

    private final TokenVerifier own;
    private final String issuer;
    private final OidcTokenValidator validator;
    private final OidcUsers users;
    private final Executor blocking;

    public OidcTokenVerifier(TokenVerifier own, String issuer, OidcTokenValidator validator, OidcUsers users,
                             Executor blocking) {
        this.own = own;
        this.issuer = issuer;
        this.validator = validator;
        this.users = users;
        this.blocking = blocking;
    }

    @Override
    public CompletionStage<Principal> verify(String token) {
        if (!fromIssuer(token)) {
            return own.verify(token);
        }
        try {
            return CompletableFuture.supplyAsync(() -> {
                OidcIdentity id = validator.verify(token);
                User u = users.resolve(id);
                return new Principal(Long.toString(u.id()), u.role(), TokenType.tokenId(id.tokenUse(),
                        id.tokenId().isEmpty() ? id.subject() : id.tokenId()));
            }, blocking);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e); // executor saturated
        }
    }

    /** Whether the token claims to come from the configured issuer (its signature is not checked here). */
    private boolean fromIssuer(String token) {
        try {
            return issuer.equals(JWTParser.parse(token).getJWTClaimsSet().getIssuer());
        } catch (ParseException | RuntimeException e) {
            return false;
        }
    }
}

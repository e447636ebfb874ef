package dev.lectern.accounts;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.AlgorithmMismatchException;
import com.auth0.jwt.exceptions.JWTDecodeException;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.SignatureVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.auth0.jwt.JWTVerifier.BaseVerification;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.store.EphemeralStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * Access tokens: JWT signed with HS256, claims {@code sub} (user id), {@code role}, {@code jti}, {@code iat},
 * {@code exp}. Each issued {@code jti} is held in the ephemeral store until the token expires — an allow-list — so
 * that logout, a password change or disabling the account revokes tokens at once, on every node. Blocking (the
 * allow-list may be Redis): call from the blocking executor.
 */
public final class TokenService {
    static final String ISSUER = "lectern";
    private static final int MAX_TOKEN_CHARS = 4096;

    private final Algorithm algorithm;
    private final JWTVerifier verifier;
    private final EphemeralStore store;
    private final Duration ttl;
    private final Clock clock;

    /** A fresh token and when it stops working. */
    public record Issued(String token, String tokenId, Instant expiresAt) {}

    public TokenService(byte[] secret, EphemeralStore store, Duration ttl, Clock clock) {
        this.algorithm = Algorithm.HMAC256(secret);
        this.verifier = ((BaseVerification) JWT.require(algorithm).withIssuer(ISSUER)
                .withClaimPresence("sub").withClaimPresence("jti").withClaimPresence("exp"))
                .build(clock);
        this.store = store;
        this.ttl = ttl;
        this.clock = clock;
    }

    private static String allowKey(String jti) {
        return "token:" + jti;
    }

    private static String userKey(String userId) {
        return "user-tokens:" + userId;
    }

    public Issued issue(String userId, Role role) {
        Instant now = Instant.ofEpochSecond(clock.instant().getEpochSecond());
        Instant exp = now.plus(ttl);
        String jti = UUID.randomUUID().toString();
        String token = JWT.create()
                .withIssuer(ISSUER)
                .withSubject(userId)
                .withClaim("role", role.wireName())
                .withJWTId(jti)
                .withIssuedAt(now)
                .withExpiresAt(exp)
                .sign(algorithm);
        store.set(allowKey(jti), userId, ttl);
        store.hset(userKey(userId), jti, Long.toString(exp.toEpochMilli()));
        store.expire(userKey(userId), ttl);
        return new Issued(token, jti, exp);
    }

    /**
     * The principal of a valid token. Refuses, with {@link InvalidTokenException}: malformed tokens, any algorithm but
     * HS256 (including {@code none}), a wrong signature, an expired or revoked token.
     */
    public Principal verify(String token) {
        DecodedJWT jwt = decodeVerified(token);
        Role role = Role.parse(jwt.getClaim("role").asString())
                .orElseThrow(() -> new InvalidTokenException("token has no valid role"));
        String userId = jwt.getSubject();
        String jti = jwt.getId();
        if (userId == null || userId.isEmpty() || jti == null || jti.isEmpty()) {
            throw new InvalidTokenException("token lacks subject or id");
        }
        String holder = store.get(allowKey(jti)).orElse(null);
        if (!userId.equals(holder)) {
            throw new InvalidTokenException("token has been revoked");
        }
        return new Principal(userId, role, jti, jwt.getExpiresAt().getTime());
    }

    private DecodedJWT decodeVerified(String token) {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
            throw new InvalidTokenException("malformed token");
        }
        try {
            return verifier.verify(token);
        } catch (TokenExpiredException e) {
            throw new InvalidTokenException("token has expired");
        } catch (AlgorithmMismatchException | SignatureVerificationException e) {
            throw new InvalidTokenException("token signature is not valid");
        } catch (JWTDecodeException e) {
            throw new InvalidTokenException("malformed token");
        } catch (JWTVerificationException | IllegalArgumentException e) {
            throw new InvalidTokenException("token is not valid");
        }
    }

    /** When a token (already verified) expires; null when it cannot be read. */
    public Instant expiresAt(String token) {
        try {
            return JWT.decode(token).getExpiresAtAsInstant();
        } catch (JWTDecodeException e) {
            return null;
        }
    }

    public void revoke(String userId, String jti) {
        store.delete(allowKey(jti));
        store.hdel(userKey(userId), jti);
        announce(userId, jti);
    }

    /**
     * Where revocations are announced ({@code {"user_id","token_id"}}, token_id null for all of the user's tokens):
     * every node closes the live sockets (Socket.IO, /ws) that were opened with them.
     */
    public static final String REVOKED_CHANNEL = "tokens:revoked";

    private void announce(String userId, String jti) {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        m.put("user_id", userId);
        m.put("token_id", jti);
        try {
            store.publish(REVOKED_CHANNEL, dev.lectern.core.json.Json.write(m));
        } catch (RuntimeException e) {
            // the tokens are revoked in the store: sockets opened with them are refused on their next CONNECT
            org.slf4j.LoggerFactory.getLogger(TokenService.class).warn("cannot announce a revocation: {}",
                    e.toString());
        }
    }

    /** Revokes every token of the user, on every node. */
    public void revokeAll(String userId) {
        Map<String, String> tokens = store.hgetAll(userKey(userId));
        for (String jti : tokens.keySet()) {
            store.delete(allowKey(jti));
        }
        store.delete(userKey(userId));
        announce(userId, null);
    }

    public Duration ttl() {
        return ttl;
    }
}

package dev.lectern.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TokenServiceTest {
    private static final byte[] SECRET = "a-unit-test-secret-that-is-long-enough!!".getBytes(StandardCharsets.UTF_8);

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final InMemoryEphemeralStore store = new InMemoryEphemeralStore(clock::millis);
    private final TokenService tokens = new TokenService(SECRET, store, Duration.ofHours(1), clock);

    @AfterEach
    void close() {
        store.close();
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private void refused(String token, String why) {
        assertThatThrownBy(() -> tokens.verify(token)).isInstanceOf(InvalidTokenException.class)
                .hasMessageContaining(why);
    }

    @Test
    void issuedTokenVerifiesToItsPrincipal() {
        TokenService.Issued t = tokens.issue("42", Role.TUTOR);
        Principal p = tokens.verify(t.token());
        assertThat(p).isEqualTo(new Principal("42", Role.TUTOR, t.tokenId(), t.expiresAt().toEpochMilli()));
        assertThat(t.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
        assertThat(JWT.decode(t.token()).getAlgorithm()).isEqualTo("HS256");
    }

    @Test
    void expiresWithItsClaimAndItsAllowListEntry() {
        String token = tokens.issue("42", Role.STUDENT).token();
        clock.advance(Duration.ofMinutes(59));
        assertThat(tokens.verify(token).userId()).isEqualTo("42");
        clock.advance(Duration.ofMinutes(2));
        refused(token, "expired");
    }

    @Test
    void forgedTokensAreRefused() {
        String good = tokens.issue("42", Role.STUDENT).token();
        String[] parts = good.split("\\.");
        refused(b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".", "signature");
        refused(b64("{\"alg\":\"HS512\",\"typ\":\"JWT\"}") + "." + parts[1] + "." + parts[2], "signature");
        String escalated = b64(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"student\"", "\"admin\""));
        refused(parts[0] + "." + escalated + "." + parts[2], "signature");
        String otherKey = JWT.create().withIssuer("lectern").withSubject("42").withClaim("role", "admin")
                .withJWTId(JWT.decode(good).getId()).withExpiresAt(clock.instant().plusSeconds(60))
                .sign(Algorithm.HMAC256("some-other-secret-that-is-long-enough"));
        refused(otherKey, "signature");
    }

    @Test
    void malformedTokensAreRefused() {
        for (String t : new String[] {"", "abc", "a.b.c", "...", "x".repeat(5000)}) {
            refused(t, "");
        }
        String noJti = JWT.create().withIssuer("lectern").withSubject("42").withClaim("role", "student")
                .withExpiresAt(clock.instant().plusSeconds(60)).sign(Algorithm.HMAC256(SECRET));
        refused(noJti, "not valid");
        String badRole = JWT.create().withIssuer("lectern").withSubject("42").withClaim("role", "root")
                .withJWTId("j").withExpiresAt(clock.instant().plusSeconds(60)).sign(Algorithm.HMAC256(SECRET));
        refused(badRole, "role");
    }

    @Test
    void aValidSignatureIsNotEnoughWithoutTheAllowListEntry() {
        String minted = JWT.create().withIssuer("lectern").withSubject("42").withClaim("role", "admin")
                .withJWTId("never-issued").withExpiresAt(clock.instant().plusSeconds(60))
                .sign(Algorithm.HMAC256(SECRET));
        refused(minted, "revoked");
        // nor with another user's jti
        TokenService.Issued other = tokens.issue("7", Role.STUDENT);
        String stolenJti = JWT.create().withIssuer("lectern").withSubject("42").withClaim("role", "admin")
                .withJWTId(other.tokenId()).withExpiresAt(clock.instant().plusSeconds(60))
                .sign(Algorithm.HMAC256(SECRET));
        refused(stolenJti, "revoked");
    }

    @Test
    void revokeEndsOneTokenAndRevokeAllEndsEveryTokenOfOneUser() {
        TokenService.Issued a1 = tokens.issue("1", Role.STUDENT);
        TokenService.Issued a2 = tokens.issue("1", Role.STUDENT);
        TokenService.Issued b = tokens.issue("2", Role.STUDENT);
        tokens.revoke("1", a1.tokenId());
        refused(a1.token(), "revoked");
        assertThat(tokens.verify(a2.token()).userId()).isEqualTo("1");
        tokens.revokeAll("1");
        refused(a2.token(), "revoked");
        assertThat(tokens.verify(b.token()).userId()).isEqualTo("2");
    }
}

package dev.lectern.accounts.oidc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.lectern.accounts.User;
import dev.lectern.accounts.UserRepository;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.OidcConfig;
import dev.lectern.core.store.sql.SqlDatabase;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** External sign-in against a fake OIDC issuer on a real socket, on each SQL dialect. */
abstract class OidcSignInContract {
    static final String CLIENT = "app-client";

    protected abstract SqlDatabase newDatabase();

    protected void afterDatabase() {}

    SqlDatabase db;
    FakeOidcIssuer issuer;
    ExecutorService blocking;
    UserRepository users;
    OidcUsers oidcUsers;
    TokenVerifier verifier;
    final List<String[]> assignedGroups = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        db = newDatabase();
        issuer = new FakeOidcIssuer();
        blocking = Executors.newFixedThreadPool(2);
        users = new UserRepository(db, Clock.systemUTC());
        verifier = verifier(300, 30);
    }

    /** A verifier with the given JWKS cache lifetime and unknown-key refetch interval; Lectern's own tokens are the word "own-token". */
    TokenVerifier verifier(long cacheSeconds, long refetchSeconds) {
        OidcConfig config = new OidcConfig(issuer.issuer() + "/", CLIENT, "", List.of("id", "access"), "student",
                Map.of("lecturers", new OidcConfig.GroupMapping("lecturer", ""),
                        "cs-2026", new OidcConfig.GroupMapping("student", "CS 2026")),
                cacheSeconds, refetchSeconds, 3600, 2000, 0);
        oidcUsers = new OidcUsers(db, users, config);
        oidcUsers.onGroup((user, group) -> assignedGroups.add(new String[] {user, group}));
        TokenVerifier own = token -> token.equals("own-token")
                ? CompletableFuture.completedFuture(new Principal("7", Role.STUDENT, "own"))
                : CompletableFuture.failedFuture(new InvalidTokenException("not ours"));
        return new OidcTokenVerifier(own, config.issuer(), new OidcTokenValidator(config), oidcUsers, blocking);
    }

    @AfterEach
    void close() {
        blocking.shutdownNow();
        issuer.close();
        db.close();
        afterDatabase();
    }

    JWTClaimsSet.Builder idToken(String sub) {
        return new JWTClaimsSet.Builder().issuer(issuer.issuer()).subject(sub).audience(CLIENT)
                .claim("token_use", "id").claim("email", sub + "@Example.org").claim("name", "User " + sub)
                .expirationTime(new Date(System.currentTimeMillis() + 600_000)).jwtID("j-" + sub);
    }

    JWTClaimsSet.Builder accessToken(String sub) {
        return new JWTClaimsSet.Builder().issuer(issuer.issuer()).subject(sub).claim("client_id", CLIENT)
                .claim("token_use", "access").expirationTime(new Date(System.currentTimeMillis() + 600_000));
    }

    Principal verify(String token) throws Exception {
        return verifier.verify(token).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    void refused(String token, String reason) {
        assertThatThrownBy(() -> verify(token)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(InvalidTokenException.class).hasMessageContaining(reason);
    }

    /** A client that opens its socket and calls the API at once signs the same new subject in twice at a time. */
    @Test
    void concurrentFirstSignInsOfOneSubjectAllResolveToOneAccount() throws Exception {
        RSAKey k1 = issuer.key("k1");
        List<CompletableFuture<Principal>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String token = FakeOidcIssuer.sign(k1, idToken("racer").jwtID("race-" + i).build());
            all.add(verifier.verify(token).toCompletableFuture());
        }
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (CompletableFuture<Principal> f : all) {
            ids.add(f.get(30, TimeUnit.SECONDS).userId()); // before: one of them failed on the duplicate e-mail
        }
        assertThat(ids).hasSize(1);
    }

    @Test
    void aFirstSeenUserIsProvisionedFromTheClaimsAndKeepsTheirAccount() throws Exception {
        RSAKey k1 = issuer.key("k1");
        Principal lena = verify(FakeOidcIssuer.sign(k1, idToken("lena").claim("cognito:groups",
                List.of("other", "lecturers")).build()));
        assertThat(lena.role()).isEqualTo(Role.TUTOR);
        assertThat(lena.tokenId()).isEqualTo("oidc:id:j-lena");
        User u = users.byId(Long.parseLong(lena.userId())).orElseThrow();
        assertThat(u.email()).isEqualTo("lena@example.org");
        assertThat(u.displayName()).isEqualTo("User lena");

        Principal student = verify(FakeOidcIssuer.sign(k1, idToken("sam").claim("cognito:groups",
                List.of("cs-2026")).build()));
        assertThat(student.role()).isEqualTo(Role.STUDENT);
        assertThat(assignedGroups).singleElement().satisfies(g -> assertThat(g).containsExactly(student.userId(),
                "CS 2026"));

        // the same subject again, with an access token (no email): the same account
        Principal again = verify(FakeOidcIssuer.sign(k1, accessToken("lena").build()));
        assertThat(again.userId()).isEqualTo(lena.userId());
        assertThat(again.tokenId()).startsWith("oidc:access:");
        refused(FakeOidcIssuer.sign(k1, accessToken("never-seen").build()), "unknown user");
        assertThat(issuer.fetches()).isEqualTo(1);

        // Lectern's own tokens still go to its own verifier
        assertThat(verify("own-token").userId()).isEqualTo("7");
        users.setDisabled(u.id(), true);
        refused(FakeOidcIssuer.sign(k1, idToken("lena").build()), "disabled");
    }

    @Test
    void forgedExpiredAndMisaddressedTokensAreRefused() throws Exception {
        RSAKey k1 = issuer.key("k1");
        verify(FakeOidcIssuer.sign(k1, idToken("ok").build())); // the keys are cached
        refused(FakeOidcIssuer.sign(k1, idToken("old").expirationTime(new Date(System.currentTimeMillis() - 60_000))
                .build()), "expired");
        refused(FakeOidcIssuer.sign(k1, idToken("x").audience("another-client").build()), "another client");
        refused(FakeOidcIssuer.sign(k1, accessToken("ok").claim("client_id", "another-client").build()),
                "another client");
        refused(FakeOidcIssuer.sign(k1, idToken("x").claim("token_use", "refresh").build()), "token_use");
        // signed by a key of the same id that the issuer never published
        refused(FakeOidcIssuer.sign(FakeOidcIssuer.newKey("k1"), idToken("mallory").build()), "signature");
        // HS256 with the issuer's name on it
        SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(),
                idToken("mallory").build());
        hs.sign(new MACSigner(new byte[32]));
        refused(hs.serialize(), "RS256");
        // alg none
        String none = new com.nimbusds.jwt.PlainJWT(idToken("mallory").build()).serialize();
        refused(none, "");
        // another issuer's token is not ours to verify: Lectern's own verifier refuses it
        refused(FakeOidcIssuer.sign(k1, idToken("x").issuer("https://evil.example").build()), "not ours");
        assertThat(users.byEmail("mallory@example.org")).isEmpty();
    }

    @Test
    void aKeyRotationIsPickedUpAndUnknownKeysFetchAtMostOncePerInterval() throws Exception {
        String before = FakeOidcIssuer.sign(issuer.key("k1"), idToken("a").build());
        verify(before);
        int fetched = issuer.fetches();
        RSAKey k2 = issuer.rotate("k2");
        assertThat(verify(FakeOidcIssuer.sign(k2, idToken("b").build())).role()).isEqualTo(Role.STUDENT);
        assertThat(issuer.fetches()).isEqualTo(fetched + 1);
        // key ids nobody publishes: within the interval no further fetch, however many tokens arrive
        RSAKey stray = FakeOidcIssuer.newKey("k3");
        for (int i = 0; i < 5; i++) {
            refused(FakeOidcIssuer.sign(stray, idToken("c" + i).build()), "");
        }
        assertThat(issuer.fetches()).isEqualTo(fetched + 1);
        // a known key still verifies without fetching
        verify(FakeOidcIssuer.sign(k2, idToken("d").build()));
        assertThat(issuer.fetches()).isEqualTo(fetched + 1);
    }

    @Test
    void cachedKeysKeepVerifyingWhileTheJwksIsDown() throws Exception {
        verifier = verifier(2, 1); // keys expire from the cache after two seconds
        RSAKey k1 = issuer.key("k1");
        verify(FakeOidcIssuer.sign(k1, idToken("a").build()));
        int fetched = issuer.fetches();
        issuer.down(true);
        Thread.sleep(2500); // past the cache lifetime: the next check must go to the (broken) endpoint
        assertThat(verify(FakeOidcIssuer.sign(k1, idToken("b").build())).role()).isEqualTo(Role.STUDENT);
        assertThat(issuer.fetches()).as("the expired cache went to the endpoint, which failed").isGreaterThan(fetched);
    }

    @Test
    void bothCognitoIssuerFormsNameTheSameIssuer() {
        String url = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123";
        assertThat(OidcConfig.normaliseIssuer("eu-west-1_AbCdEf123")).isEqualTo(url);
        assertThat(OidcConfig.normaliseIssuer(url + "/")).isEqualTo(url);
        assertThat(new OidcConfig("eu-west-1_AbCdEf123", "c", "", null, null, null, 300, 30, 0, 1000, 0)
                .effectiveJwksUrl()).isEqualTo(url + "/.well-known/jwks.json");
    }
}

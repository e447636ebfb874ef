package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.lectern.core.config.ConfigException;
import dev.lectern.testing.TestConfigs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accounts over real HTTP on the production wiring (SQLite + in-process store): the sign-up → login → call → logout
 * flow, every kind of bad token refused with 401 everywhere, roles, admin actions, throttles and rate limits.
 * {@link AccountsOnRedisAndPostgresIntegrationTest} runs the same tests on Redis and PostgreSQL.
 */
class AccountsIntegrationTest {
    static final String SECRET = "an-integration-test-secret-of-more-than-32-bytes";
    static final String PASSWORD = "Correct-horse-42";

    @TempDir
    Path data;
    private LecternServer server;
    private HttpJson http;

    /** Store settings; the embedded defaults here, Redis and PostgreSQL in the subclass. */
    protected Map<String, String> storeOverrides() {
        return Map.of();
    }

    protected String expectedEphemeralKind() {
        return "memory";
    }

    protected String expectedSqlKind() {
        return "sqlite";
    }

    private Map<String, String> stores() {
        Map<String, String> o = new HashMap<>(storeOverrides());
        o.put("LECTERN_STORAGE__DATA_DIR", data.toString());
        return o;
    }

    private void start(Map<String, String> overrides) {
        Map<String, String> o = new HashMap<>(Map.of(
                "LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4",
                "LECTERN_ACCOUNTS__ADMIN_EMAILS", "boss@example.com"));
        o.putAll(storeOverrides());
        o.putAll(overrides);
        server = LecternServer.start(TestConfigs.defaults(o), Map.of("LECTERN_JWT_SECRET", SECRET));
        http = new HttpJson(server.httpPort());
    }

    private void start() {
        start(Map.of());
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    private String code(String purpose, String email) {
        return server.ephemeralStore().get("code:" + purpose + ":" + email).orElseThrow();
    }

    /** Registers and returns the token. */
    private String signUp(String email, String role) throws Exception {
        assertThat(http.post("/api/send_verification", Map.of("email", email, "purpose", "register"), null).status())
                .isEqualTo(200);
        Map<String, Object> body = new HashMap<>(Map.of("email", email, "password", PASSWORD,
                "code", code("register", email)));
        if (role != null) {
            body.put("role", role);
        }
        HttpJson.Reply r = http.post("/api/register", body, null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
        return r.text("token");
    }

    @Test
    void signUpLoginCallLogout() throws Exception {
        start();
        HttpJson.Reply sent = http.post("/api/send_verification", Map.of("email", "Ada@Example.com",
                "purpose", "register"), null);
        assertThat(sent.status()).isEqualTo(200);
        assertThat(sent.raw().body()).doesNotContainPattern("\\d{6}"); // the code is never in the API
        String code = code("register", "ada@example.com");

        HttpJson.Reply wrong = http.post("/api/register", Map.of("email", "ada@example.com", "password", PASSWORD,
                "code", code.equals("000000") ? "111111" : "000000"), null);
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.text("error")).isEqualTo("invalid_code");
        HttpJson.Reply weak = http.post("/api/register", Map.of("email", "ada@example.com", "password", "short",
                "code", code), null);
        assertThat(weak.status()).isEqualTo(400);
        assertThat(weak.text("error")).isEqualTo("weak_password");

        HttpJson.Reply registered = http.post("/api/register", Map.of("email", "ada@example.com",
                "password", PASSWORD, "code", code), null);
        assertThat(registered.status()).isEqualTo(201);
        assertThat(registered.body().at("/user/role").asText()).isEqualTo("student");
        assertThat(registered.raw().body()).doesNotContain("$2");
        // the code is checked first (#19): a used code is refused like any wrong one, without telling the address
        // has an account
        assertThat(http.post("/api/register", Map.of("email", "ada@example.com", "password", PASSWORD,
                "code", code), null).status()).isEqualTo(400);

        HttpJson.Reply login = http.post("/api/login", Map.of("email", "ada@example.com", "password", PASSWORD), null);
        assertThat(login.status()).isEqualTo(200);
        String token = login.text("token");
        assertThat(token).isNotBlank();

        HttpJson.Reply status = http.get("/api/token_status", token);
        assertThat(status.status()).isEqualTo(200);
        assertThat(status.body().get("valid").asBoolean()).isTrue();
        assertThat(status.text("role")).isEqualTo("student");
        assertThat(status.body().get("expires_at").asLong()).isGreaterThan(Instant.now().getEpochSecond());

        assertThat(http.put("/api/user/profile", Map.of("display_name", "Ada L."), token).status()).isEqualTo(200);
        HttpJson.Reply profile = http.get("/api/user/profile", token);
        assertThat(profile.text("display_name")).isEqualTo("Ada L.");
        assertThat(profile.text("email")).isEqualTo("ada@example.com");

        assertThat(http.post("/api/logout", null, token).status()).isEqualTo(200);
        HttpJson.Reply after = http.get("/api/token_status", token);
        assertThat(after.status()).isEqualTo(401);
        assertThat(after.body().get("message").asText()).contains("revoked");
        // the registration token is still valid: logout revoked only its own token
        assertThat(http.get("/api/token_status", registered.text("token")).status()).isEqualTo(200);
    }

    @Test
    void wrongPasswordAndUnknownAccountLookTheSame() throws Exception {
        start();
        signUp("bob@example.com", null);
        HttpJson.Reply wrongPassword = http.post("/api/login", Map.of("email", "bob@example.com",
                "password", "Wrong-password-1"), null);
        HttpJson.Reply unknown = http.post("/api/login", Map.of("email", "nobody@example.com",
                "password", PASSWORD), null);
        assertThat(wrongPassword.status()).isEqualTo(401);
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(wrongPassword.text("message")).isEqualTo(unknown.text("message"));
        assertThat(http.post("/api/login", Map.of("email", "bob"), null).status()).isEqualTo(400);
        assertThat(http.post("/api/login", Map.of("email", "bob@example.com", "password", PASSWORD, "x", 1), null)
                .status()).isEqualTo(400);
    }

    @Test
    void forgedExpiredMalformedAndRevokedTokensAre401EverywhereAndChangeNothing() throws Exception {
        start();
        String good = signUp("eve@example.com", null);
        String sub = JWT.decode(good).getSubject();
        String jti = JWT.decode(good).getId();
        String header = Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = good.split("\\.")[1];
        String algNone = header + "." + payload + ".";
        String wrongKey = JWT.create().withIssuer("lectern").withSubject(sub).withClaim("role", "admin")
                .withJWTId(jti).withExpiresAt(Instant.now().plusSeconds(600))
                .sign(Algorithm.HMAC256("another-secret-that-is-long-enough-to-sign"));
        String expired = JWT.create().withIssuer("lectern").withSubject(sub).withClaim("role", "student")
                .withJWTId(jti).withExpiresAt(Instant.now().minusSeconds(5)).sign(Algorithm.HMAC256(SECRET));
        String notAllowListed = JWT.create().withIssuer("lectern").withSubject(sub).withClaim("role", "admin")
                .withJWTId("made-up").withExpiresAt(Instant.now().plusSeconds(600)).sign(Algorithm.HMAC256(SECRET));
        String rs256Header = Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"alg\":\"HS512\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String otherAlg = rs256Header + "." + payload + "." + good.split("\\.")[2];
        List<String> bad = List.of(algNone, wrongKey, expired, notAllowListed, otherAlg, "garbage", "a.b.c",
                good + "x", "x".repeat(5000));
        for (String token : bad) {
            for (String[] call : new String[][] {{"GET", "/api/token_status"}, {"GET", "/api/user/profile"},
                    {"POST", "/api/logout"}, {"GET", "/api/admin/users"}}) {
                HttpJson.Reply r = http.send(call[0], call[1], null, token);
                assertThat(r.status()).as(call[1] + " with " + token.substring(0, Math.min(20, token.length())))
                        .isEqualTo(401);
                assertThat(r.text("error")).isEqualTo("unauthorized");
            }
        }
        // nothing changed: the good token still works and no account appeared or vanished
        assertThat(http.get("/api/token_status", good).status()).isEqualTo(200);
        String admin = signUp("boss@example.com", "admin");
        assertThat(http.get("/api/admin/users", admin).body().get("total").asLong()).isEqualTo(2);
        // a token on a public route that is bad is ignored, not an error
        assertThat(http.post("/api/login", Map.of("email", "eve@example.com", "password", PASSWORD), wrongKey)
                .status()).isEqualTo(200);
        assertThat(http.get("/api/token_status", null).status()).isEqualTo(401);
    }

    @Test
    void rolesAreEnforcedAndDisablingRevokesAtOnce() throws Exception {
        start();
        String student = signUp("stu@example.com", null);
        String tutor = signUp("tut@example.com", "tutor");
        HttpJson.Reply notAdmin = http.post("/api/register", Map.of("email", "mallory@example.com",
                "password", PASSWORD, "code", "123456", "role", "admin"), null);
        assertThat(notAdmin.status()).isEqualTo(403);
        String admin = signUp("boss@example.com", "admin");

        assertThat(http.get("/api/admin/users", student).status()).isEqualTo(403);
        assertThat(http.get("/api/admin/users", tutor).status()).isEqualTo(403);
        HttpJson.Reply list = http.get("/api/admin/users?limit=2", admin);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().get("users")).hasSize(2);
        assertThat(list.body().get("total").asLong()).isEqualTo(3);
        assertThat(http.get("/api/admin/users?limit=0", admin).status()).isEqualTo(400);

        String studentId = JWT.decode(student).getSubject();
        assertThat(http.post("/api/admin/users/" + studentId + "/disable", null, admin).status()).isEqualTo(200);
        assertThat(http.get("/api/token_status", student).status()).isEqualTo(401);
        HttpJson.Reply login = http.post("/api/login", Map.of("email", "stu@example.com", "password", PASSWORD), null);
        assertThat(login.status()).isEqualTo(403);
        assertThat(login.text("error")).isEqualTo("account_disabled");
        assertThat(http.post("/api/admin/users/999999/disable", null, admin).status()).isEqualTo(404);
        assertThat(http.post("/api/admin/users/abc/disable", null, admin).status()).isEqualTo(404);

        // an admin creates another admin without a code
        HttpJson.Reply created = http.post("/api/register", Map.of("email", "second@example.com",
                "password", PASSWORD, "role", "admin"), admin);
        assertThat(created.status()).isEqualTo(201);

        HttpJson.Reply audit = http.get("/api/admin/audit", admin);
        assertThat(audit.status()).isEqualTo(200);
        assertThat(audit.body().get("entries").findValuesAsText("action")).containsExactly("user.create", "user.disable");
        assertThat(http.post("/api/admin/users/" + studentId + "/enable", null, admin).status()).isEqualTo(200);
        assertThat(http.post("/api/login", Map.of("email", "stu@example.com", "password", PASSWORD), null).status())
                .isEqualTo(200);
    }

    @Test
    void passwordChangeNeedsACodeAndRevokesEveryToken() throws Exception {
        start();
        String first = signUp("pat@example.com", null);
        String second = http.post("/api/login", Map.of("email", "pat@example.com", "password", PASSWORD), null)
                .text("token");
        assertThat(http.post("/api/send_verification", Map.of("email", "pat@example.com",
                "purpose", "reset_password"), null).status()).isEqualTo(200);
        String code = code("reset_password", "pat@example.com");
        String newPassword = "Another-horse-43";
        assertThat(http.post("/api/update_password", Map.of("code", code, "new_password", "weak"), first).status())
                .isEqualTo(400);
        assertThat(http.post("/api/update_password", Map.of("code", code, "new_password", newPassword), first)
                .status()).isEqualTo(200);
        assertThat(http.get("/api/token_status", first).status()).isEqualTo(401);
        assertThat(http.get("/api/token_status", second).status()).isEqualTo(401);
        assertThat(http.post("/api/login", Map.of("email", "pat@example.com", "password", PASSWORD), null).status())
                .isEqualTo(401);
        assertThat(http.post("/api/login", Map.of("email", "pat@example.com", "password", newPassword), null)
                .status()).isEqualTo(200);
        // without a token the answer does not tell whether the address has an account
        HttpJson.Reply unknownWeak = http.post("/api/update_password", Map.of("code", "123456",
                "new_password", "weak", "email", "nobody@example.com"), null);
        HttpJson.Reply knownWeak = http.post("/api/update_password", Map.of("code", "123456",
                "new_password", "weak", "email", "pat@example.com"), null);
        assertThat(unknownWeak.text("error")).isEqualTo(knownWeak.text("error")).isEqualTo("weak_password");
        assertThat(http.post("/api/update_password", Map.of("code", "123456", "new_password", "Fourth-horse-45",
                "email", "nobody@example.com"), null).text("error")).isEqualTo("invalid_code");
        // the code is used up
        assertThat(http.post("/api/update_password", Map.of("code", code, "new_password", "Third-horse-44",
                "email", "pat@example.com"), null).status()).isEqualTo(400);
    }

    @Test
    void codesAreThrottledAndFailedLoginsSlowedThenRefused() throws Exception {
        start();
        assertThat(http.post("/api/send_verification", Map.of("email", "t@example.com"), null).status())
                .isEqualTo(200);
        HttpJson.Reply again = http.post("/api/send_verification", Map.of("email", "t@example.com"), null);
        assertThat(again.status()).isEqualTo(429);
        assertThat(again.header("retry-after")).isNotNull();
        assertThat(http.post("/api/send_verification", Map.of("email", "t@example.com", "purpose", "other"), null)
                .status()).isEqualTo(400);

        signUp("lock@example.com", null);
        Map<String, Object> wrong = Map.of("email", "lock@example.com", "password", "Wrong-password-1");
        int failures = 0;
        HttpJson.Reply r;
        do {
            r = http.post("/api/login", wrong, null);
            failures++;
        } while (r.status() == 401 && failures < 10);
        assertThat(failures).isEqualTo(4); // slowAfterFailures = 3: the fourth attempt must wait
        assertThat(r.status()).isEqualTo(429);
        assertThat(Long.parseLong(r.header("retry-after"))).isPositive();
        // even the right password waits now
        assertThat(http.post("/api/login", Map.of("email", "lock@example.com", "password", PASSWORD), null)
                .status()).isEqualTo(429);
    }

    @Test
    void perAddressRateLimitGives429WithRetryAfterButNotOnHealth() throws Exception {
        start(Map.of("LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "5"));
        HttpJson.Reply limited = null;
        // two windows at most can be crossed while sending, so 11 requests always exceed a limit of 5
        for (int i = 0; i < 11 && limited == null; i++) {
            HttpJson.Reply r = http.get("/api/token_status", null);
            if (r.status() == 429) {
                limited = r;
            } else {
                assertThat(r.status()).isEqualTo(401);
            }
        }
        assertThat(limited).isNotNull();
        assertThat(limited.text("error")).isEqualTo("too_many_requests");
        assertThat(Long.parseLong(limited.header("retry-after"))).isBetween(1L, 60L);
        for (int i = 0; i < 10; i++) {
            assertThat(http.get("/api/health", null).status()).isEqualTo(200);
        }
    }

    @Test
    void tokenNearExpiryGetsAFreshOneOnce() throws Exception {
        start(Map.of("LECTERN_ACCOUNTS__TOKEN_TTL_SECONDS", "120",
                "LECTERN_ACCOUNTS__TOKEN_REFRESH_BEFORE_SECONDS", "119"));
        // with 120 s to live and refresh 119 s before expiry, the token is in its refresh window a second after issue
        String token = signUp("fresh@example.com", null);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> JWT.decode(token).getExpiresAtAsInstant().isBefore(Instant.now().plusSeconds(119)));
        HttpJson.Reply first = http.get("/api/user/profile", token);
        assertThat(first.status()).isEqualTo(200);
        String fresh = first.header("x-new-token");
        assertThat(fresh).isNotBlank().isNotEqualTo(token);
        assertThat(http.get("/api/user/profile", token).header("x-new-token")).isNull();
        assertThat(http.get("/api/token_status", fresh).status()).isEqualTo(200);
        // logout is never undone by a refresh
        HttpJson.Reply out = http.post("/api/logout", null, fresh);
        assertThat(out.status()).isEqualTo(200);
        assertThat(out.header("x-new-token")).isNull();
    }

    @Test
    void healthNamesBothStores() throws Exception {
        start();
        HttpJson.Reply h = http.get("/api/health", null);
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.body().at("/components/ephemeralStore/status").asText()).isEqualTo("up");
        assertThat(h.body().at("/components/ephemeralStore/detail").asText()).isEqualTo(expectedEphemeralKind());
        assertThat(h.body().at("/components/sqlStore/detail").asText()).isEqualTo(expectedSqlKind());
    }

    @Test
    void shortConfiguredSecretRefusesStartUp() {
        assertThatThrownBy(() -> LecternServer.start(TestConfigs.defaults(stores()),
                Map.of("LECTERN_JWT_SECRET", "too-short")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("LECTERN_JWT_SECRET")
                .hasMessageContaining("at least 32");
    }

    @Test
    void generatedSecretIsOwnerOnlyAndKeptAcrossRestarts() throws Exception {
        server = LecternServer.start(TestConfigs.defaults(stores()), Map.of());
        Path file = data.resolve("jwt-secret");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String secret = Files.readString(file);
        assertThat(secret.length()).isGreaterThanOrEqualTo(32);
        server.close();
        server = LecternServer.start(TestConfigs.defaults(stores()), Map.of());
        assertThat(Files.readString(file)).isEqualTo(secret);
    }
}

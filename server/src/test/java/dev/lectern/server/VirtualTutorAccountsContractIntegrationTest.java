package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Virtual Tutor seed's "Authentication Endpoints" (seed 003, "API Documentation"), called exactly as the seed
 * documents them against the real server: the documented method, path, content type and body, and the documented
 * status code and fields (with their JSON types) in every answer. Lectern may add fields beside them; every error
 * carries {@code msg} beside {@code error}, {@code message} and {@code requestId}. Every answer also validates against
 * the server's own {@code /openapi.json} ({@link ContractValidator}), so the documented seed shapes and the schemas
 * generated from the routes' types cannot drift apart.
 */
class VirtualTutorAccountsContractIntegrationTest {
    private static final String EMAIL = "user@example.com";
    private static final String PASSWORD = "SecurePass123!";
    private static final String NEW_PASSWORD = "NewPass456!";
    private static final long TOKEN_TTL_SECONDS = 14_523;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @TempDir
    Path data;
    private LecternServer server;
    private ContractValidator contract;

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4",
                // the walk below fails three logins on purpose: no Retry-After pacing for them
                "LECTERN_ACCOUNTS__LOGIN_THROTTLE__SLOW_AFTER_FAILURES", "8",
                "LECTERN_ACCOUNTS__TOKEN_TTL_SECONDS", Long.toString(TOKEN_TTL_SECONDS))),
                Map.of("LECTERN_JWT_SECRET", "a-contract-test-secret-of-more-than-32-bytes"));
        contract = ContractValidator.load(server.httpPort());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** One answer: status, content type and the parsed JSON body; it has validated against /openapi.json. */
    private record Answer(int status, String contentType, JsonNode body) {}

    /** A call as the seed writes it: {@code body} null sends none (and no Content-Type), as the seed's logout. */
    private Answer call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .timeout(Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        contract.check(method, path, r.statusCode(), r.headers().firstValue("Content-Type").orElse(null), r.body());
        return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""),
                Json.MAPPER.readTree(r.body()));
    }

    private static String json(Map<String, ?> fields) {
        return new String(Json.writeBytes(fields), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The documented status, a JSON object answer, and {@code msg} a non-empty string. */
    private static JsonNode msg(Answer a, int status) {
        assertThat(a.status()).as(a.body().toString()).isEqualTo(status);
        assertThat(a.contentType()).startsWith("application/json");
        assertThat(a.body().isObject()).isTrue();
        assertThat(a.body().path("msg").isTextual()).as(a.body().toString()).isTrue();
        assertThat(a.body().get("msg").asText()).isNotBlank();
        return a.body();
    }

    /** An error: the seed's {@code msg}, and Lectern's {@code error}, {@code message} (the same text), requestId. */
    private static JsonNode error(Answer a, int status) {
        JsonNode body = msg(a, status);
        assertThat(body.path("error").isTextual()).isTrue();
        assertThat(body.get("message").asText()).isEqualTo(body.get("msg").asText());
        assertThat(body.path("requestId").isTextual()).isTrue();
        return body;
    }

    private String code(String purpose) {
        return server.ephemeralStore().get("code:" + purpose + ":" + EMAIL).orElseThrow();
    }

    @Test
    void theDocumentedAuthenticationCallsGetTheDocumentedAnswers() throws Exception {
        // Send Verification Code: 200 {msg}
        msg(call("POST", "/api/send_verification", null, json(Map.of("email", EMAIL, "purpose", "register"))), 200);
        // Response 429 (rate limited): {msg}
        error(call("POST", "/api/send_verification", null, json(Map.of("email", EMAIL, "purpose", "register"))),
                429);

        // Register New User: 201 {msg}; role is optional (student/tutor)
        JsonNode registered = msg(call("POST", "/api/register", null, json(Map.of("email", EMAIL,
                "password", PASSWORD, "code", code("register"), "role", "student"))), 201);
        assertThat(registered.get("msg").asText()).isEqualTo("Registration successful");

        // Login: 200 {token}; 401 {msg}
        Answer login = call("POST", "/api/login", null, json(Map.of("email", EMAIL, "password", PASSWORD)));
        assertThat(login.status()).isEqualTo(200);
        assertThat(login.contentType()).startsWith("application/json");
        assertThat(login.body().path("token").isTextual()).isTrue();
        String token = login.body().get("token").asText();
        assertThat(token).matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+"); // a JWT, as the seed's eyJ...
        error(call("POST", "/api/login", null, json(Map.of("email", EMAIL, "password", "Wrong-pass-1"))), 401);
        error(call("POST", "/api/login", null, json(Map.of("email", "nobody@example.com", "password", PASSWORD))),
                401);

        // Check Token Status: 200 {expires_in_seconds (int), expires_in_minutes (number)}
        Answer status = call("GET", "/api/token_status", token, null);
        assertThat(status.status()).isEqualTo(200);
        JsonNode seconds = status.body().get("expires_in_seconds");
        JsonNode minutes = status.body().get("expires_in_minutes");
        assertThat(seconds.isIntegralNumber()).as(status.body().toString()).isTrue();
        assertThat(minutes.isNumber()).isTrue();
        assertThat(seconds.asLong()).isBetween(1L, TOKEN_TTL_SECONDS);
        assertThat(minutes.asDouble()).isCloseTo(seconds.asLong() / 60.0, org.assertj.core.data.Offset.offset(0.01));
        error(call("GET", "/api/token_status", null, null), 401);

        // Update Password: 200 {msg}, with a reset_password code
        msg(call("POST", "/api/send_verification", null, json(Map.of("email", EMAIL, "purpose", "reset_password"))),
                200);
        JsonNode updated = msg(call("POST", "/api/update_password", token, json(Map.of("code",
                code("reset_password"), "new_password", NEW_PASSWORD))), 200);
        assertThat(updated.get("msg").asText()).isEqualTo("Password updated successfully");
        // the change revokes every token of the account (Lectern's rule); the new password signs in
        error(call("GET", "/api/token_status", token, null), 401);
        error(call("POST", "/api/login", null, json(Map.of("email", EMAIL, "password", PASSWORD))), 401);
        String second = call("POST", "/api/login", null, json(Map.of("email", EMAIL, "password", NEW_PASSWORD)))
                .body().get("token").asText();

        // Logout: 200 {msg}; no body, no Content-Type, as the seed sends it
        JsonNode out = msg(call("POST", "/api/logout", second, null), 200);
        assertThat(out.get("msg").asText()).isEqualTo("Logged out successfully.");
        error(call("GET", "/api/token_status", second, null), 401);
    }

    @Test
    void registerWithTheOptionalRoleLeftOutIsAStudentAndTheBodyStaysStrict() throws Exception {
        msg(call("POST", "/api/send_verification", null, json(Map.of("email", EMAIL, "purpose", "register"))), 200);
        String code = code("register");
        // a field the seed does not document is still refused (the code stays unused)
        JsonNode refused = error(call("POST", "/api/register", null, json(Map.of("email", EMAIL,
                "password", PASSWORD, "code", code, "nickname", "x"))), 400);
        assertThat(refused.get("msg").asText()).contains("nickname");
        msg(call("POST", "/api/register", null, json(Map.of("email", EMAIL, "password", PASSWORD, "code", code))),
                201);
        String token = call("POST", "/api/login", null, json(Map.of("email", EMAIL, "password", PASSWORD)))
                .body().get("token").asText();
        assertThat(call("GET", "/api/user/profile", token, null).body().get("role").asText()).isEqualTo("student");
        // a wrong code is an error with msg
        error(call("POST", "/api/update_password", token, json(Map.of("code", "000000",
                "new_password", NEW_PASSWORD))), 400);
    }
}

package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #19 item 8, against the real server: behind a reverse proxy every client had the proxy's address, so one
 * client's requests (or failed logins) used up everybody's limit; an IPv6 client could rotate through its /64; and
 * failed logins from anywhere locked the account's owner out. Now {@code X-Forwarded-For} is believed from
 * {@code http.trustedProxies} only, IPv6 is counted per /64, and the login lockout is per account and address.
 */
class ClientAddressIntegrationTest {
    private static final String PASSWORD = "Correct-horse-42";
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path data;
    private LecternServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(Map<String, String> overrides) {
        Map<String, String> o = new HashMap<>(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4"));
        o.putAll(overrides);
        server = LecternServer.start(TestConfigs.defaults(o), Map.of());
    }

    private int get(String path, String forwardedFor) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .timeout(Duration.ofSeconds(10));
        if (forwardedFor != null) {
            b.header("X-Forwarded-For", forwardedFor);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private int login(String email, String password, String forwardedFor) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/api/login"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .header("X-Forwarded-For", forwardedFor)
                .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"" + email + "\",\"password\":\"" + password
                        + "\"}")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void behindATrustedProxyEachClientHasItsOwnLimitAndIpv6IsCountedByItsSlash64() throws Exception {
        start(Map.of("LECTERN_HTTP__TRUSTED_PROXIES", "127.0.0.0/8",
                "LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "3"));
        for (int i = 0; i < 3; i++) {
            assertThat(get("/api/companions", "203.0.113.7")).isNotEqualTo(429);
        }
        assertThat(get("/api/companions", "203.0.113.7")).isEqualTo(429);
        // another client behind the same proxy is not affected (before: everybody was 127.0.0.1)
        assertThat(get("/api/companions", "198.51.100.9")).isNotEqualTo(429);
        // the client cannot escape by writing its own entry in front: the proxy appends the real one
        assertThat(get("/api/companions", "10.9.9.9, 203.0.113.7")).isEqualTo(429);
        // one /64 is one client
        assertThat(get("/api/companions", "2001:db8:1:2::1")).isNotEqualTo(429);
        assertThat(get("/api/companions", "2001:db8:1:2::2")).isNotEqualTo(429);
        assertThat(get("/api/companions", "2001:db8:1:2:ffff::3")).isNotEqualTo(429);
        assertThat(get("/api/companions", "2001:db8:1:2::4")).isEqualTo(429);
        assertThat(get("/api/companions", "2001:db8:1:3::1")).isNotEqualTo(429);
    }

    @Test
    void fromAnUntrustedPeerTheHeaderIsIgnored() throws Exception {
        start(Map.of("LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "3"));
        for (int i = 0; i < 3; i++) {
            assertThat(get("/api/companions", "203.0.113." + i)).isNotEqualTo(429);
        }
        assertThat(get("/api/companions", "203.0.113.99")).isEqualTo(429);
    }

    @Test
    void failedLoginsFromElsewhereDoNotLockTheOwnerOut() throws Exception {
        start(Map.of("LECTERN_HTTP__TRUSTED_PROXIES", "127.0.0.1",
                "LECTERN_ACCOUNTS__LOGIN_THROTTLE__SLOW_AFTER_FAILURES", "3",
                "LECTERN_ACCOUNTS__LOGIN_THROTTLE__MAX_FAILURES", "5"));
        HttpJson http = new HttpJson(server.httpPort());
        assertThat(http.post("/api/send_verification", Map.of("email", "owner@example.com"), null).status())
                .isEqualTo(200);
        String code = server.ephemeralStore().get("code:register:owner@example.com").orElseThrow();
        assertThat(http.post("/api/register", Map.of("email", "owner@example.com", "password", PASSWORD,
                "code", code), null).status()).isEqualTo(201);
        for (int i = 0; i < 5; i++) {
            int status = login("owner@example.com", "Wrong-password-" + i, "203.0.113.66");
            assertThat(status).isIn(401, 429);
        }
        assertThat(login("owner@example.com", PASSWORD, "203.0.113.66")).isEqualTo(429);
        // before: the account was locked for everybody; now the owner, from their own address, signs in
        assertThat(login("owner@example.com", PASSWORD, "198.51.100.20")).isEqualTo(200);
    }
}

package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.testing.RedisServerProcess;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lectern on a Redis of its own that the test kills mid-way: requests that need Redis get 503 store_unavailable
 * instead of hanging, {@code /api/health} names the store that is down, and once Redis is restarted on the same port
 * the same Lectern serves again without a restart.
 */
class RedisOutageIntegrationTest {
    private static final String PASSWORD = "Outage-proof-42";

    @TempDir
    Path data;
    private RedisServerProcess redis;
    private LecternServer server;
    private HttpJson http;

    @BeforeEach
    void start() {
        redis = new RedisServerProcess().start();
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_STORAGE__REDIS__URL", redis.url(),
                "LECTERN_STORAGE__REDIS__CONNECT_TIMEOUT_MILLIS", "500",
                "LECTERN_STORAGE__REDIS__SOCKET_TIMEOUT_MILLIS", "500",
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4")), Map.of());
        http = new HttpJson(server.httpPort());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private String login(String email) throws Exception {
        HttpJson.Reply r = http.post("/api/login", Map.of("email", email, "password", PASSWORD), null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        return r.text("token");
    }

    @Test
    void redisDyingGives503sAndItsReturnBringsTheServerBack() throws Exception {
        assertThat(http.post("/api/send_verification", Map.of("email", "ray@example.com"), null).status())
                .isEqualTo(200);
        String code = server.ephemeralStore().get("code:register:ray@example.com").orElseThrow();
        assertThat(http.post("/api/register", Map.of("email", "ray@example.com", "password", PASSWORD,
                "code", code), null).status()).isEqualTo(201);
        String token = login("ray@example.com");
        assertThat(http.get("/api/token_status", token).status()).isEqualTo(200);

        redis.kill();

        for (int i = 0; i < 5; i++) { // every request that needs Redis, again and again: 503, never a hang
            HttpJson.Reply status = http.get("/api/token_status", token);
            assertThat(status.status()).isEqualTo(503);
            assertThat(status.text("error")).isEqualTo("store_unavailable");
            assertThat(status.header("retry-after")).isNotNull();
            assertThat(http.post("/api/login", Map.of("email", "ray@example.com", "password", PASSWORD), null)
                    .status()).isEqualTo(503);
        }
        HttpJson.Reply health = http.get("/api/health", null);
        assertThat(health.status()).isEqualTo(503);
        assertThat(health.body().at("/components/ephemeralStore/status").asText()).isEqualTo("down");
        assertThat(health.body().at("/components/ephemeralStore/detail").asText()).contains("redis unavailable");
        assertThat(health.body().at("/components/sqlStore/status").asText()).isEqualTo("up");
        assertThat(health.body().at("/status").asText()).isEqualTo("unhealthy");
        assertThat(health.body().at("/redis").asText()).isEqualTo("disconnected");
        assertThat(health.body().at("/database").asText()).isEqualTo("connected");

        redis.start(); // same port, empty: no persistence

        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> http.get("/api/health", null).status() == 200);
        // the allow-list went with the old Redis, so the old token is refused; signing in again works
        assertThat(http.get("/api/token_status", token).status()).isEqualTo(401);
        String fresh = login("ray@example.com");
        assertThat(http.get("/api/token_status", fresh).status()).isEqualTo(200);
        assertThat(http.get("/api/user/profile", fresh).text("email")).isEqualTo("ray@example.com");
    }
}

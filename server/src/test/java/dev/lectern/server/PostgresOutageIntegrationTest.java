package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.testing.TcpProxy;
import dev.lectern.testing.TestConfigs;
import dev.lectern.testing.TestServices;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lectern on PostgreSQL behind a relay the test cuts: requests that need SQL get 503 store_unavailable, health names
 * the SQL store as down, and when the database is reachable again the same Lectern serves again.
 */
class PostgresOutageIntegrationTest {
    private static final String PASSWORD = "Outage-proof-42";

    @TempDir
    Path data;
    private PostgresTestDatabase pg;
    private TcpProxy proxy;
    private LecternServer server;
    private HttpJson http;

    @BeforeEach
    void start() throws Exception {
        pg = PostgresTestDatabase.create();
        proxy = new TcpProxy(TestServices.POSTGRES_HOST, TestServices.POSTGRES_PORT).start();
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_STORAGE__SQL__URL", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + pg.name(),
                "LECTERN_STORAGE__SQL__USER", PostgresTestDatabase.USER,
                "LECTERN_STORAGE__SQL__CONNECT_TIMEOUT_MILLIS", "500",
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4")), Map.of());
        http = new HttpJson(server.httpPort());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void databaseGoingAwayGives503sAndItsReturnBringsTheServerBack() throws Exception {
        assertThat(http.post("/api/send_verification", Map.of("email", "sql@example.com"), null).status())
                .isEqualTo(200);
        String code = server.ephemeralStore().get("code:register:sql@example.com").orElseThrow();
        HttpJson.Reply reg = http.post("/api/register", Map.of("email", "sql@example.com", "password", PASSWORD,
                "code", code), null);
        assertThat(reg.status()).isEqualTo(201);
        String token = reg.text("token");

        proxy.cut();

        for (int i = 0; i < 3; i++) {
            HttpJson.Reply profile = http.get("/api/user/profile", token);
            assertThat(profile.status()).isEqualTo(503);
            assertThat(profile.text("error")).isEqualTo("store_unavailable");
            assertThat(http.post("/api/login", Map.of("email", "sql@example.com", "password", PASSWORD), null)
                    .status()).isEqualTo(503);
        }
        // what needs no SQL still works: the token check runs on the ephemeral store
        assertThat(http.get("/api/token_status", token).status()).isEqualTo(200);
        HttpJson.Reply health = http.get("/api/health", null);
        assertThat(health.status()).isEqualTo(503);
        assertThat(health.body().at("/components/sqlStore/status").asText()).isEqualTo("down");
        assertThat(health.body().at("/components/ephemeralStore/status").asText()).isEqualTo("up");
        assertThat(health.body().at("/database").asText()).isEqualTo("disconnected");

        proxy.start(); // the same port again

        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> http.get("/api/user/profile", token).status() == 200);
        assertThat(http.get("/api/health", null).status()).isEqualTo(200);
        assertThat(http.post("/api/login", Map.of("email", "sql@example.com", "password", PASSWORD), null).status())
                .isEqualTo(200);
    }

    @Test
    void unreachableDatabaseAtStartUpRefusesToStartWithAMessage() {
        proxy.cut();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LecternServer.start(TestConfigs.defaults(Map.of(
                        "LECTERN_STORAGE__DATA_DIR", data.toString(),
                        "LECTERN_STORAGE__SQL__URL", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + pg.name(),
                        "LECTERN_STORAGE__SQL__USER", PostgresTestDatabase.USER,
                        "LECTERN_STORAGE__SQL__CONNECT_TIMEOUT_MILLIS", "500")), Map.of()))
                .isInstanceOf(StartupException.class)
                .hasMessageContaining("storage.sql.url")
                .hasMessageContaining("postgresql unavailable");
    }
}

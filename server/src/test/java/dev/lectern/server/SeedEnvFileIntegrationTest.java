package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.config.ConfigException;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.testing.TestConfigs;
import dev.lectern.testing.TestServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Main's config path with a seed deployment's {@code .env} ({@code --env-file}): its {@code DATABASE_URL} in the
 * seed's {@code postgresql://user:pass@host:port/db} form really becomes the server's SQL store, and the password
 * never reaches the log.
 */
class SeedEnvFileIntegrationTest {
    private static final String PASSWORD = "seed-pw-never-logged";

    @TempDir
    Path dir;

    @Test
    void databaseUrlOfTheEnvFileIsTheStoreTheServerUses() throws Exception {
        TestServices.requirePostgres();
        ch.qos.logback.classic.Logger mainLogger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Main.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        mainLogger.addAppender(logs);
        try (PostgresTestDatabase pg = PostgresTestDatabase.create()) {
            Path envFile = dir.resolve(".env");
            Files.writeString(envFile, String.join("\n",
                    "# the Virtual Tutor seed's variables (trust auth on the test server ignores the password)",
                    "export DATABASE_URL=\"postgresql://" + PostgresTestDatabase.USER + ":" + PASSWORD + "@"
                            + TestServices.POSTGRES_HOST + ":" + TestServices.POSTGRES_PORT + "/" + pg.name() + "\"",
                    "JWT_SECRET_KEY=" + "k".repeat(40),
                    "SECRET_KEY=flask-only   # no counterpart",
                    "",
                    "LECTERN_HTTP__HOST=127.0.0.1",
                    "LECTERN_HTTP__PORT=0",
                    "LECTERN_SIGNALING__PORT=0",
                    "LECTERN_STORAGE__DATA_DIR=" + dir.resolve("data"),
                    "LECTERN_HISTORY__COMPANIONS_FILE=" + TestConfigs.home().resolve("config/companions.yaml"),
                    ""));

            Main.Startup startup = Main.configure(new String[] {"--config", TestConfigs.defaultFile().toString(),
                    "--env-file", envFile.toString()}, Map.of());

            assertThat(startup.config().storage().sql().url()).isEqualTo(pg.url());
            assertThat(startup.config().storage().sql().user()).isEqualTo(PostgresTestDatabase.USER);
            assertThat(startup.env()).containsEntry("LECTERN_SQL_PASSWORD", PASSWORD);
            try (LecternServer server = LecternServer.start(startup.config(), startup.env(), false)) {
                HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.httpPort() + "/api/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode body = Json.MAPPER.readTree(health.body());
                assertThat(body.at("/components/sqlStore/detail").asText()).isEqualTo("postgresql");
                // the server migrated exactly this database
                try (Connection c = DriverManager.getConnection(pg.url(), PostgresTestDatabase.USER, "");
                     Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT count(*) FROM flyway_schema_history WHERE success")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isPositive();
                }
            }
        } finally {
            mainLogger.detachAppender(logs);
        }
        String logged = String.join("\n", logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
        assertThat(logged).contains("DATABASE_URL -> storage.sql.url, storage.sql.user, LECTERN_SQL_PASSWORD")
                .contains("SECRET_KEY (")
                .doesNotContain(PASSWORD);
    }

    @Test
    void envFileArgumentsAndUnusableFiles() throws Exception {
        String config = TestConfigs.defaultFile().toString();
        assertThatThrownBy(() -> Main.configure(new String[] {"--config", config, "--env-file"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--env-file");
        Path binary = dir.resolve("binary.env");
        Files.write(binary, new byte[] {'A', '=', 0, 1});
        assertThatThrownBy(() -> Main.configure(new String[] {"--env-file=" + binary, "--config", config}, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("binary");
        Path mysql = dir.resolve("mysql.env");
        Files.writeString(mysql, "DATABASE_URL=mysql://u:hunter2@h/db\n");
        assertThatThrownBy(() -> Main.configure(new String[] {"--env-file", mysql.toString(), "--config", config},
                Map.of())).isInstanceOf(ConfigException.class).hasMessageNotContaining("hunter2");
        Path ok = dir.resolve("ok.env");
        Files.writeString(ok, "LECTERN_HTTP__PORT=9099\nJWT_ACCESS_TOKEN_EXPIRES=18000 # 5 h\nLOG_LEVEL=WARNING\n");
        ch.qos.logback.classic.Logger root =
                (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.classic.Level before = root.getLevel();
        try {
            Main.Startup s = Main.configure(new String[] {"worker", "--env-file=" + ok, "--config", config},
                    Map.of());
            assertThat(s.worker()).isTrue();
            assertThat(s.config().http().port()).isEqualTo(9099);
            assertThat(s.config().accounts().tokenTtlSeconds()).isEqualTo(18000);
            // logback read LECTERN_LOG_LEVEL before Main ran; the seed's LOG_LEVEL from the file is applied after
            assertThat(root.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
        } finally {
            root.setLevel(before);
        }
    }
}

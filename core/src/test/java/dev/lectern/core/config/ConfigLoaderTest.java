package dev.lectern.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.testing.TestConfigs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static ServerConfig load(Map<String, String> env) {
        return ConfigLoader.load(TestConfigs.defaultFile(), env);
    }

    @Test
    void shippedFileLoadsWithDocumentedDefaults() {
        ServerConfig c = load(Map.of());
        assertThat(c.http().port()).isEqualTo(8080);
        assertThat(c.signaling().port()).isEqualTo(8081);
        assertThat(c.http().cors().allowedOrigins()).isEmpty();
        assertThat(c.storage().dataDir()).isEqualTo("data");
    }

    @Test
    void environmentOverridesNestedKeysWithTheirTypes() {
        ServerConfig c = load(Map.of(
                "LECTERN_HTTP__PORT", "9090",
                "LECTERN_HTTP__CORS__ALLOWED_ORIGINS", "https://a.example, https://b.example",
                "LECTERN_HTTP__CORS__ALLOW_CREDENTIALS", "false",
                "LECTERN_HTTP__REQUEST_TIMEOUT_MILLIS", "1234"));
        assertThat(c.http().port()).isEqualTo(9090);
        assertThat(c.http().requestTimeoutMillis()).isEqualTo(1234);
        assertThat(c.http().cors().allowedOrigins()).containsExactly("https://a.example", "https://b.example");
        assertThat(c.http().cors().allowCredentials()).isFalse();
    }

    @Test
    void variablesWithoutDoubleUnderscoreAreNotOverrides() {
        ServerConfig c = load(Map.of("LECTERN_JWT_SECRET", "x", "LECTERN_CONFIG", "/nope", "PATH", "/bin"));
        assertThat(c.http().port()).isEqualTo(8080);
    }

    @Test
    void typoInEnvironmentNamesTheKey() {
        assertThatThrownBy(() -> load(Map.of("LECTERN_HTTP__PROT", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("prot")
                .hasMessageContaining("LECTERN_HTTP__PROT");
    }

    @Test
    void unknownSectionInEnvironmentNamesIt() {
        assertThatThrownBy(() -> load(Map.of("LECTERN_HTPP__PORT", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("htpp");
    }

    @Test
    void outOfRangeValueNamesKeyAndRange() {
        assertThatThrownBy(() -> load(Map.of("LECTERN_HTTP__PORT", "70000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.port: 70000 (expected: 0-65535)");
    }

    @Test
    void wrongTypeNamesTheKey() {
        assertThatThrownBy(() -> load(Map.of("LECTERN_HTTP__PORT", "eighty")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.port");
    }

    @Test
    void wildcardOriginWithCredentialsIsRefused() {
        assertThatThrownBy(() -> load(Map.of("LECTERN_HTTP__CORS__ALLOWED_ORIGINS", "*")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.cors.allowCredentials");
    }

    @Test
    void unknownKeyInFileNamesIt(@TempDir Path dir) throws IOException {
        String yaml = Files.readString(TestConfigs.defaultFile()).replace("  ioThreads: 0", "  ioThreads: 0\n  iothreds: 4");
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, yaml);
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("iothreds");
    }

    @Test
    void missingKeyInFileNamesIt(@TempDir Path dir) throws IOException {
        String yaml = Files.readString(TestConfigs.defaultFile()).replace("  ioThreads: 0\n", "");
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, yaml);
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("ioThreads");
    }

    @Test
    void camelCaseConversion() {
        assertThat(ConfigLoader.camel("PING_TIMEOUT_MILLIS")).isEqualTo("pingTimeoutMillis");
        assertThat(ConfigLoader.camel("PORT")).isEqualTo("port");
    }

    @Test
    void secretsComeFromEnvironmentOrFileAndNeverPrint(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("s");
        Files.writeString(f, "from-file\n");
        Secrets secrets = new Secrets(Map.of("A_SECRET", "direct", "B_SECRET_FILE", f.toString()));
        assertThat(secrets.get("A_SECRET")).get().extracting(Secret::reveal).isEqualTo("direct");
        assertThat(secrets.get("B_SECRET")).get().extracting(Secret::reveal).isEqualTo("from-file");
        assertThat(secrets.get("C_SECRET")).isEmpty();
        assertThat(secrets.get("A_SECRET").orElseThrow().toString()).doesNotContain("direct");
        assertThat(secrets.describe().toString()).doesNotContain("direct").doesNotContain("from-file")
                .contains("A_SECRET").contains("C_SECRET=unset");
    }

    @Test
    void ioThreadsZeroMeansHalfTheCoresAndAPositiveValueIsTakenAsItIs() {
        assertThat(HttpConfig.defaultIoThreads(1)).isEqualTo(1);
        assertThat(HttpConfig.defaultIoThreads(2)).isEqualTo(1);
        assertThat(HttpConfig.defaultIoThreads(3)).isEqualTo(1);
        assertThat(HttpConfig.defaultIoThreads(8)).isEqualTo(4);
        assertThat(load(Map.of()).http().eventLoopThreads())
                .isEqualTo(HttpConfig.defaultIoThreads(Runtime.getRuntime().availableProcessors()));
        assertThat(load(Map.of("LECTERN_HTTP__IO_THREADS", "3")).http().eventLoopThreads()).isEqualTo(3);
    }
}

package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.testing.TestConfigs;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real {@link Main} in its own JVM: start-up, health, SIGTERM → exit 0, and start-up refusals → non-zero. */
class MainProcessIntegrationTest {
    @TempDir
    Path data;

    private Process launch(Map<String, String> env) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dlogback.configurationFile=" + TestConfigs.home().resolve("config/logback.xml"),
                Main.class.getName(), "--config", TestConfigs.defaultFile().toString()));
        pb.environment().keySet().removeIf(k -> k.startsWith("LECTERN_"));
        pb.environment().put("LECTERN_STORAGE__DATA_DIR", data.toString());
        pb.environment().put("LECTERN_HISTORY__COMPANIONS_FILE", TestConfigs.home().resolve("config/companions.yaml").toString());
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(data.resolve("out.log").toFile());
        return pb.start();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void startsServesAndExitsZeroOnSigterm() throws Exception {
        int port = freePort();
        Process p = launch(Map.of("LECTERN_HTTP__PORT", Integer.toString(port),
                "LECTERN_SIGNALING__PORT", Integer.toString(freePort()), "LECTERN_HTTP__HOST", "127.0.0.1"));
        try {
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> r = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && p.isAlive()) {
                try {
                    r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                    break;
                } catch (java.io.IOException e) {
                    Thread.sleep(100);
                }
            }
            assertThat(r).as("health answered; log:\n%s", log()).isNotNull();
            assertThat(r.statusCode()).isEqualTo(200);
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("exit code; log:\n%s", log()).isZero();
            String log = log();
            assertThat(log).contains("effective configuration").contains("Lectern stopped");
            // every line is one JSON object
            for (String line : log.split("\n")) {
                if (!line.isBlank() && !line.startsWith("WARNING")) {
                    assertThat(line.trim()).startsWith("{").endsWith("}");
                }
            }
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void configTypoExitsNonZeroNamingTheKey() throws Exception {
        Process p = launch(Map.of("LECTERN_HTTP__PROT", "1"));
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isNotZero();
        assertThat(log()).contains("prot").contains("ERROR");
    }

    @Test
    void plainLogLinesWhenAskedFor() throws Exception {
        Process p = launch(Map.of("LECTERN_LOG_FORMAT", "plain", "LECTERN_HTTP__PROT", "1"));
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isNotZero();
        // time, level, logger, message: no JSON
        assertThat(log().lines().filter(l -> l.contains("prot")))
                .anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ERROR +\\S+ .*"))
                .noneMatch(l -> l.startsWith("{"));
    }

    @Test
    void busyPortExitsNonZeroWithOneErrorLine() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            Process p = launch(Map.of("LECTERN_HTTP__PORT", Integer.toString(busy.getLocalPort()),
                    "LECTERN_HTTP__HOST", "127.0.0.1", "LECTERN_SIGNALING__PORT", "0"));
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isNotZero();
            assertThat(log()).contains("already in use");
        }
    }

    @Test
    void shortJwtSecretExitsTwoWithoutShowingTheSecret() throws Exception {
        Process p = launch(Map.of("LECTERN_JWT_SECRET", "only-twenty-one-bytes", "LECTERN_HTTP__PORT", "0",
                "LECTERN_SIGNALING__PORT", "0"));
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(log()).contains("ERROR").contains("LECTERN_JWT_SECRET").contains("at least 32")
                .doesNotContain("only-twenty-one-bytes");
    }

    private String log() throws Exception {
        File f = data.resolve("out.log").toFile();
        return f.exists() ? Files.readString(f.toPath()) : "";
    }
}

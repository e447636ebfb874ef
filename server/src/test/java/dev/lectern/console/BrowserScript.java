package dev.lectern.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.server.NodeTools;
import dev.lectern.testing.TestConfigs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A browser script of tests/js/e2e (node, playwright-core, Debian's chromium) run to its end: it writes one JSON object
 * a line ({@code {"step"}} as it goes, {@code {"need_code": email}} when it needs a verification code, then
 * {@code {"result"}} or {@code {"error"}}); the result is returned, an error fails the test with every line seen.
 */
final class BrowserScript {
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    private static final long MAX_SECONDS = 420;

    private BrowserScript() {}

    /** Skips, or fails under CI=true, when node, playwright-core or chromium is missing. */
    static void assumeBrowser() {
        NodeTools.assumeInstalled("browser tests",
                new NodeTools.Needed(TestConfigs.home().resolve("tests/js/node_modules/playwright-core"),
                        "run bin/test-deps"),
                new NodeTools.Needed(CHROMIUM, "bin/test-deps installs Debian's chromium"));
    }

    /** An account made over REST (the verification code read from the server's store), so a page can sign in. */
    static void registerUser(LecternServer server, HttpJson http, String email, String password) throws Exception {
        assertThat(http.post("/api/send_verification", Map.of("email", email, "purpose", "register"), null).status())
                .isEqualTo(200);
        HttpJson.Reply r = http.post("/api/register", Map.of("email", email, "password", password, "code",
                server.ephemeralStore().get("code:register:" + email).orElseThrow()), null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
    }

    /** Runs {@code tests/js/e2e/<script>} with this environment; {@code codes} answers its code requests. */
    static JsonNode run(String script, Map<String, String> env, UnaryOperator<String> codes) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("node", "e2e/" + script)
                .directory(TestConfigs.home().resolve("tests/js").toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(MAX_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }, "browser-script-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             OutputStream in = p.getOutputStream()) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                JsonNode n = Json.MAPPER.readTree(line);
                if (n.has("need_code")) {
                    in.write((Json.write(Map.of("code", codes.apply(n.get("need_code").asText()))) + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                    in.flush();
                } else if (n.has("result")) {
                    return n.get("result");
                } else if (n.has("error")) {
                    throw new AssertionError("browser run failed: " + n.get("error").asText() + "\nsteps: " + lines);
                }
            }
        } finally {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        throw new AssertionError("the browser script ended without a result (exit " + p.exitValue() + "): " + lines);
    }
}

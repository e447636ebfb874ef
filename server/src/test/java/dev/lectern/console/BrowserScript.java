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
public final class BrowserScript {
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    private static final long MAX_SECONDS = 420;

    private BrowserScript() {}

    /** Skips, or fails under CI=true, when node, playwright-core, chromium or one of {@code more} is missing. */
    public static void assumeBrowser(NodeTools.Needed... more) {
        List<NodeTools.Needed> needed = new ArrayList<>(List.of(
                new NodeTools.Needed(TestConfigs.home().resolve("tests/js/node_modules/playwright-core"),
                        "run bin/test-deps"),
                new NodeTools.Needed(CHROMIUM, "bin/test-deps installs Debian's chromium")));
        needed.addAll(List.of(more));
        NodeTools.assumeInstalled("browser tests", needed.toArray(NodeTools.Needed[]::new));
    }

    /** An account made over REST (the verification code read from the server's store), so a page can sign in. */
    static void registerUser(LecternServer server, HttpJson http, String email, String password) throws Exception {
        register(server, http, Map.of("email", email, "password", password));
    }

    /** An account with this role made over REST, so a page can sign in with it; returns its user id. */
    public static String account(HttpJson http, LecternServer server, String email, String password, String role)
            throws Exception {
        String token = register(server, http, Map.of("email", email, "password", password, "role", role));
        return http.get("/api/token_status", token).body().path("user_id").asText();
    }

    private static String register(LecternServer server, HttpJson http, Map<String, String> fields)
            throws Exception {
        String email = fields.get("email");
        assertThat(http.post("/api/send_verification", Map.of("email", email, "purpose", "register"), null).status())
                .isEqualTo(200);
        Map<String, String> body = new java.util.HashMap<>(fields);
        body.put("code", server.ephemeralStore().get("code:register:" + email).orElseThrow());
        HttpJson.Reply r = http.post("/api/register", body, null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
        return r.text("token");
    }

    /** Runs {@code tests/js/e2e/<script>}, which asks for no verification code. */
    public static JsonNode run(String script, Map<String, String> env) throws Exception {
        return run(script, env, email -> {
            throw new AssertionError("the script asked for a verification code for " + email);
        });
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

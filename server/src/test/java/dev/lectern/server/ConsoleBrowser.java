package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.testing.TestConfigs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the console's browser tests share: accounts the page can sign in with, and running a tests/js/e2e script. */
final class ConsoleBrowser {
    private ConsoleBrowser() {}

    /** An account with the role made over REST (so that the page can sign in with it); returns its user id. */
    static String account(HttpJson http, LecternServer server, String email, String password, String role)
            throws Exception {
        assertThat(http.post("/api/send_verification", Map.of("email", email, "purpose", "register"), null).status())
                .isEqualTo(200);
        String code = server.ephemeralStore().get("code:register:" + email).orElseThrow();
        HttpJson.Reply r = http.post("/api/register", Map.of("email", email, "password", password, "code", code,
                "role", role), null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
        return http.get("/api/token_status", r.text("token")).body().path("user_id").asText();
    }

    /** Runs {@code tests/js/<script>} and returns its result line; fails with its error otherwise. */
    static JsonNode run(String script, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("node", script)
                .directory(TestConfigs.home().resolve("tests/js").toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                JsonNode n = Json.MAPPER.readTree(line);
                if (n.has("result")) {
                    return n.get("result");
                } else if (n.has("error")) {
                    throw new AssertionError("browser run failed: " + line + "\nsteps: " + lines);
                }
            }
        } finally {
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        throw new AssertionError("the browser script ended without a result (exit " + p.exitValue() + "): " + lines);
    }
}

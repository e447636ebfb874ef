package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #19's low items on headers, against the real server: {@code /docs} allowed any inline script and style and
 * could be framed by any site; JSON answers had no {@code nosniff}.
 */
class SecurityHeadersIntegrationTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(), Map.of());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String sha256(String s) throws Exception {
        return "'sha256-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(StandardCharsets.UTF_8))) + "'";
    }

    @Test
    void docsAllowOnlyTheirOwnInlineBlocksAndCannotBeFramed() throws Exception {
        HttpResponse<String> docs = get("/docs");
        assertThat(docs.statusCode()).isEqualTo(200);
        String csp = docs.headers().firstValue("content-security-policy").orElseThrow();
        assertThat(csp).doesNotContain("unsafe-inline").contains("frame-ancestors 'none'");
        for (String tag : new String[] {"script", "style"}) {
            Matcher m = Pattern.compile("<" + tag + ">(.*?)</" + tag + ">", Pattern.DOTALL).matcher(docs.body());
            assertThat(m.find()).as(tag).isTrue();
            assertThat(csp).contains(tag + "-src 'self' " + sha256(m.group(1)));
        }
    }

    @Test
    void jsonAnswersSayNosniff() throws Exception {
        for (String path : new String[] {"/health", "/api/companions", "/no/such/path"}) {
            HttpResponse<String> r = get(path);
            assertThat(r.headers().firstValue("content-type")).get().asString().startsWith("application/json");
            assertThat(r.headers().firstValue("x-content-type-options")).as(path).contains("nosniff");
        }
    }

    @Test
    void withATokenMetricsAreOnlyForTheScraper() throws Exception {
        try (LecternServer guarded = LecternServer.start(TestConfigs.defaults(),
                Map.of("LECTERN_METRICS_TOKEN", "scrape-secret"))) {
            URI metrics = URI.create("http://127.0.0.1:" + guarded.httpPort() + "/metrics");
            assertThat(client.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(401); // before: route names, user counts and the JVM for anyone
            assertThat(client.send(HttpRequest.newBuilder(metrics).header("Authorization", "Bearer wrong").build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
            HttpResponse<String> ok = client.send(HttpRequest.newBuilder(metrics)
                    .header("Authorization", "Bearer scrape-secret").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).contains("http_server_requests_seconds_count");
        }
    }
}

package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.testing.TestConfigs;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #19 item 2, performed against the real server: requests with invented HTTP methods used to add one Prometheus
 * timer each to {@code /metrics} (about 9 KB per method, without bound), and 404/405 answers were not counted by the
 * per-address limit. Now an invented method is answered 501 before routing and tagged {@code OTHER}, and 404/405/501
 * count against the per-address limit.
 */
class MethodSprayIntegrationTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String metrics() throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** One request on a fresh connection, raw (any method); the status of the answer. */
    private int raw(String method, String path) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(head.substring(9, 12));
        }
    }

    private static int series(String metrics) {
        int n = 0;
        Matcher m = Pattern.compile("(?m)^http_server_requests_seconds_count\\{").matcher(metrics);
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void inventedMethodsAre501AndAddNoSeries() throws Exception {
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "0")), Map.of());
        assertThat(raw("BREW1", "/nowhere")).isEqualTo(501);
        metrics(); // the scrape itself is a series, recorded after it answered
        int before = series(metrics());
        for (int i = 0; i < 300; i++) {
            assertThat(raw("X" + i + "METHOD", i % 2 == 0 ? "/nowhere/" + i : "/health")).isEqualTo(501);
        }
        String after = metrics();
        assertThat(series(after)).isEqualTo(before);
        assertThat(after).doesNotContain("METHOD\"").doesNotContain("/nowhere/");
        assertThat(after).contains("method=\"OTHER\"");
        // legitimate methods still answer as before
        assertThat(raw("GET", "/health")).isEqualTo(200);
        assertThat(raw("DELETE", "/health")).isEqualTo(405);
        assertThat(raw("GET", "/no/such/path")).isEqualTo(404);
    }

    @Test
    void notFoundMethodNotAllowedAndUnknownMethodsCountAgainstTheAddressLimit() throws Exception {
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "6")), Map.of());
        assertThat(raw("GET", "/probe/1")).isEqualTo(404);
        assertThat(raw("GET", "/probe/2")).isEqualTo(404);
        assertThat(raw("DELETE", "/api/login")).isEqualTo(405);
        assertThat(raw("PUT", "/api/login")).isEqualTo(405);
        assertThat(raw("SPRAY", "/x")).isEqualTo(501);
        assertThat(raw("SPRAY", "/y")).isEqualTo(501);
        assertThat(raw("GET", "/probe/3")).isEqualTo(429);
        assertThat(raw("SPRAY", "/z")).isEqualTo(429);
        assertThat(raw("GET", "/health")).as("system routes are never limited").isEqualTo(200);
    }
}

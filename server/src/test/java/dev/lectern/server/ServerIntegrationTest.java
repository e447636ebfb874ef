package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ServerIntegrationTest {
    /** A POST route taking JSON; until one exists the request must still be refused without reading the body. */
    private static final String JSON_ROUTE = "/api/login";
    private static final boolean JSON_ROUTE_EXISTS = true;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LecternServer server;

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(Map.of(
                "LECTERN_HTTP__IDLE_TIMEOUT_MILLIS", "1500",
                "LECTERN_HTTP__REQUEST_TIMEOUT_MILLIS", "1000")), Map.of());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return client.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthAnswersJsonWithVersionAndComponents() throws Exception {
        for (String path : new String[] {"/health", "/api/health"}) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri(path)));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).get().asString().startsWith("application/json");
            JsonNode body = Json.MAPPER.readTree(r.body());
            assertThat(body.get("status").asText()).isEqualTo("healthy");
            assertThat(body.get("database").asText()).isEqualTo("connected");
            assertThat(body.get("redis").asText()).isEqualTo("not_configured"); // in-process ephemeral store
            assertThat(body.get("version").asText()).isNotBlank();
            assertThat(body.has("components")).isTrue();
        }
    }

    @Test
    void metricsArePrometheusText() throws Exception {
        send(HttpRequest.newBuilder(uri("/health")));
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/metrics")));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("http_server_requests_seconds_count").contains("jvm_memory_used_bytes")
                .contains("lectern_connections_open");
    }

    @Test
    void openApiDescribesEveryRoute() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/openapi.json")));
        JsonNode doc = Json.MAPPER.readTree(r.body());
        assertThat(doc.get("openapi").asText()).startsWith("3.");
        for (var route : server.app().router().routes()) {
            assertThat(doc.get("paths").has(route.template())).as(route.template()).isTrue();
        }
    }

    @Test
    void badRequestsGetJsonErrorsAndTheServerKeepsServing() throws Exception {
        HttpResponse<String> notFound = send(HttpRequest.newBuilder(uri("/api/nothing")));
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(Json.MAPPER.readTree(notFound.body()).get("error").asText()).isEqualTo("not_found");

        HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(uri("/health"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("allow")).get().asString().contains("GET");

        byte[] tenMegabytes = new byte[10 * 1024 * 1024];
        HttpResponse<String> tooBig = send(HttpRequest.newBuilder(uri("/health"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(tenMegabytes)));
        assertThat(tooBig.statusCode()).isIn(405, 413);

        HttpResponse<String> still = send(HttpRequest.newBuilder(uri("/health")));
        assertThat(still.statusCode()).isEqualTo(200);
    }

    @Test
    void tenMegabyteBodyIsRefusedWith413BeforeItIsRead() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            // A route that takes JSON bodies: the 10 MB body is refused from its Content-Length alone.
            out.write(("POST " + JSON_ROUTE + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 10485760\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = readResponse(s.getInputStream());
            assertThat(head).startsWith(JSON_ROUTE_EXISTS ? "HTTP/1.1 413" : "HTTP/1.1 405")
                    .contains(JSON_ROUTE_EXISTS ? "payload_too_large" : "method_not_allowed")
                    .containsIgnoringCase("connection: close");
        }
        assertThat(send(HttpRequest.newBuilder(uri("/health"))).statusCode()).isEqualTo(200);
        {
        }
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 3; i++) {
                out.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200");
            }
        }
    }

    @Test
    void slowlorisClientIsCutOff() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            long start = System.nanoTime();
            out.write("GET /health HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            // Trickle a header byte at a time; the server must close well before we would finish.
            int closedAfter = -1;
            for (int i = 0; i < 40; i++) {
                try {
                    out.write('X');
                    out.flush();
                } catch (java.io.IOException e) {
                    closedAfter = i;
                    break;
                }
                Thread.sleep(100);
                if (in.available() > 0 || s.isInputShutdown()) {
                    break;
                }
            }
            int read = in.read();
            assertThat(read).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
            assertThat(closedAfter).isLessThan(40);
        }
    }

    @Test
    void slowBodyGets408() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String r = readResponse(s.getInputStream());
            assertThat(r).satisfiesAnyOf(x -> assertThat(x).startsWith("HTTP/1.1 408"), x -> assertThat(x).startsWith("HTTP/1.1 405"));
        }
    }

    @Test
    void malformedRequestLineIs400() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String r = readResponse(s.getInputStream());
            assertThat(r).startsWith("HTTP/1.1 400");
        }
        assertThat(send(HttpRequest.newBuilder(uri("/health"))).statusCode()).isEqualTo(200);
    }

    @Test
    void webrtcConfigNeedsATokenAndDocsPageIsServed() throws Exception {
        HttpResponse<String> anonymous = send(HttpRequest.newBuilder(uri("/api/webrtc/config")));
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(Json.MAPPER.readTree(anonymous.body()).get("error").asText()).isEqualTo("unauthorized");
        HttpResponse<String> docs = send(HttpRequest.newBuilder(uri("/docs")));
        assertThat(docs.statusCode()).isEqualTo(200);
        assertThat(docs.headers().firstValue("content-type")).get().asString().startsWith("text/html");
        assertThat(docs.body()).contains("/openapi.json");
    }

    @Test
    void samePortServesBoth() {
        server.close();
        server = LecternServer.start(TestConfigs.defaults(Map.of()), Map.of());
        assertThat(server.httpPort()).isPositive();
    }

    /** Reads one response (head plus Content-Length body) as text. */
    static String readResponse(InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        return head + new String(body, StandardCharsets.UTF_8);
    }
}

package dev.lectern.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The console's static route over real HTTP on the production wiring: files, headers, caching, and what it refuses. */
class ConsoleApiIntegrationTest {
    private static LecternServer server;
    private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        server = LecternServer.start(TestConfigs.defaults(Map.of()), Map.of());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> send(String method, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("x")
                        : HttpRequest.BodyPublishers.noBody());
        headers.forEach(b::header);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send("GET", path, Map.of());
    }

    /** A request line sent byte for byte (HttpClient would refuse or normalise some of these paths). */
    private static String raw(String target) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void thePageIsServedWithAStrictPolicyAndEveryFileItNamesExists() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        String csp = page.headers().firstValue("content-security-policy").orElseThrow();
        assertThat(csp).contains("default-src 'none'", "script-src 'self'", "connect-src 'self'",
                "media-src 'self' blob:", "frame-ancestors 'none'").doesNotContain("unsafe-inline", "unsafe-eval", "*");
        assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(page.headers().firstValue("cache-control")).hasValue("no-cache");
        assertThat(page.headers().firstValue("etag")).get().asString().matches("\"[0-9a-f]{24}\"");

        String html = page.body();
        assertThat(html).doesNotContainPattern("<script(?![^>]*\\bsrc=)").doesNotContain(" style=", "http://", "https://");
        Matcher refs = Pattern.compile("(?:src|href)=\"(/[^\"]*)\"").matcher(html);
        List<String> named = new ArrayList<>();
        while (refs.find()) {
            named.add(refs.group(1));
        }
        assertThat(named).contains("/console/app.js", "/console/style.css", "/console/icon.svg");
        for (String path : named) {
            HttpResponse<String> f = get(path);
            assertThat(f.statusCode()).as(path).isEqualTo(200);
            assertThat(f.headers().firstValue("x-content-type-options")).as(path).hasValue("nosniff");
            assertThat(f.headers().firstValue("content-security-policy")).as(path).hasValue(csp);
        }
        assertThat(get("/console/app.js").headers().firstValue("content-type")).hasValue("text/javascript; charset=utf-8");
        assertThat(get("/console/style.css").headers().firstValue("content-type")).hasValue("text/css; charset=utf-8");
        assertThat(get("/console/icon.svg").headers().firstValue("content-type")).hasValue("image/svg+xml");
        assertThat(get("/console/app.js").body()).contains("/api/chat/stream", "RTCPeerConnection");
        // the modules app.js imports are served too, as JavaScript under the same policy
        Matcher imports = Pattern.compile("import [^;]* from '(/console/[^']+)'").matcher(get("/console/app.js").body());
        List<String> modules = new ArrayList<>();
        while (imports.find()) {
            modules.add(imports.group(1));
        }
        assertThat(modules).contains("/console/projects.js");
        for (String path : modules) {
            HttpResponse<String> f = get(path);
            assertThat(f.statusCode()).as(path).isEqualTo(200);
            assertThat(f.headers().firstValue("content-type")).as(path).hasValue("text/javascript; charset=utf-8");
            assertThat(f.headers().firstValue("content-security-policy")).as(path).hasValue(csp);
        }
    }

    @Test
    void aMatchingETagGets304WithoutABodyAndHeadGetsHeadersOnly() throws Exception {
        HttpResponse<String> first = get("/console/app.js");
        String etag = first.headers().firstValue("etag").orElseThrow();

        HttpResponse<String> again = send("GET", "/console/app.js", Map.of("If-None-Match", etag));
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(again.headers().firstValue("etag")).hasValue(etag);
        assertThat(send("GET", "/console/app.js", Map.of("If-None-Match", "W/" + etag + ", \"other\"")).statusCode())
                .isEqualTo(304);
        assertThat(send("GET", "/console/app.js", Map.of("If-None-Match", "\"stale\"")).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/console/style.css", Map.of("If-None-Match", etag)).statusCode())
                .as("another file's tag").isEqualTo(200);

        HttpResponse<String> head = send("HEAD", "/", Map.of());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValueAsLong("content-length").orElseThrow())
                .isEqualTo(get("/").body().getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void onlyTheListedFilesExist() throws Exception {
        for (String path : List.of("/console/", "/console", "/console/nope.js", "/console/index.html",
                "/index.html", "/console/app.js.map", "/console/APP.JS", "/favicon.ico", "/console/web/docs.html")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(r.body()).as(path).contains("\"error\":\"not_found\"", "\"requestId\"");
        }
    }

    @Test
    void pathTricksNeverReachAFile() throws Exception {
        for (String target : List.of("/console/../console/app.js", "/console/%2e%2e/%2e%2e/pom.xml",
                "/console/..%2f..%2fconfig%2flectern.yaml", "/console/%2E%2E/console/app.js", "//console/app.js",
                "/console//app.js", "/console/./app.js", "/console/app.js%00", "/console/app.js%2500",
                "/%2e%2e/%2e%2e/etc/passwd", "/console/..\\..\\pom.xml", "/console/%c0%ae%c0%ae/pom.xml")) {
            String reply = raw(target);
            String status = reply.substring(0, reply.indexOf("\r\n"));
            assertThat(status).as(target).matches("HTTP/1\\.1 (400|404) .*");
            assertThat(reply).as(target).doesNotContain("RTCPeerConnection", "root:", "<artifactId>", "companionsFile");
        }
    }

    @Test
    void onlyGetAndHeadAreAllowed() throws Exception {
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
            HttpResponse<String> r = send(method, "/", Map.of("Content-Type", "text/plain"));
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("allow")).as(method).hasValue("GET, HEAD, OPTIONS");
            assertThat(r.body()).contains("\"error\":\"method_not_allowed\"");
        }
        assertThat(send("POST", "/console/app.js", Map.of("Content-Type", "text/plain")).statusCode()).isEqualTo(405);
    }
}

package dev.lectern.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A JDK HttpClient speaking JSON to a running server, for integration tests. */
public final class HttpJson {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final Duration timeout;

    public HttpJson(int port) {
        this(port, Duration.ofSeconds(10));
    }

    /** @param timeout per request (longer for tests that share a loaded machine with a browser) */
    public HttpJson(int port, Duration timeout) {
        this.port = port;
        this.timeout = timeout;
    }

    /** A response with its body parsed (null when not JSON). */
    public record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        public String text(String field) {
            return body == null || body.get(field) == null ? null : body.get(field).asText();
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    public Reply get(String path, String token) throws Exception {
        return send("GET", path, null, token);
    }

    public Reply post(String path, Object body, String token) throws Exception {
        return send("POST", path, body, token);
    }

    public Reply put(String path, Object body, String token) throws Exception {
        return send("PUT", path, body, token);
    }

    public Reply send(String method, String path, Object body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(Json.write(body)));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        if (r.headers().firstValue("content-type").orElse("").startsWith("application/json")) {
            try {
                json = Json.MAPPER.readTree(r.body());
            } catch (IOException e) {
                json = null;
            }
        }
        return new Reply(r.statusCode(), json, r);
    }
}

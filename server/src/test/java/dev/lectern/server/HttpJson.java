package dev.lectern.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** A JDK HttpClient speaking JSON to a running server, for integration tests. */
public final class HttpJson {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final Duration timeout;
    private final ContractValidator contract;

    public HttpJson(int port) {
        this(port, Duration.ofSeconds(10));
    }

    /** @param timeout per request (longer for tests that share a loaded machine with a browser) */
    public HttpJson(int port, Duration timeout) {
        this(port, timeout, null);
    }

    private HttpJson(int port, Duration timeout, ContractValidator contract) {
        this.port = port;
        this.timeout = timeout;
        this.contract = contract;
    }

    /** The same client, checking every reply against the server's /openapi.json (fails the test when one breaks it). */
    public HttpJson validating(ContractValidator contract) {
        return new HttpJson(port, timeout, contract);
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

    public Reply patch(String path, Object body, String token) throws Exception {
        return send("PATCH", path, body, token);
    }

    public Reply delete(String path, String token) throws Exception {
        return send("DELETE", path, null, token);
    }

    /** A multipart/form-data upload of text fields and one file in the part "file". */
    public Reply upload(String path, String token, Map<String, String> fields, String filename, byte[] content)
            throws Exception {
        String boundary = "xBoUnDaRy" + Long.toHexString(System.nanoTime());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Map.Entry<String, String> f : fields.entrySet()) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey()
                    + "\"\r\n\r\n" + f.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        return checked("POST", path, reply(client.send(req, HttpResponse.BodyHandlers.ofString())));
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
        return checked(method, path, reply(client.send(b.build(), HttpResponse.BodyHandlers.ofString())));
    }

    private Reply checked(String method, String path, Reply r) {
        if (contract != null) {
            contract.check(method, path, r.status(), r.header("content-type"), r.raw().body());
        }
        return r;
    }

    private static Reply reply(HttpResponse<String> r) {
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

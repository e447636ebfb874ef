package dev.lectern.ai.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small OpenAI-compatible speech-to-text endpoint on loopback: {@code POST /v1/audio/transcriptions} answers
 * {@code {"text":transcript}} and keeps each request's raw multipart body and headers for the test to inspect.
 */
public final class FakeTranscriptionServer implements AutoCloseable {
    private final HttpServer server;
    private final List<byte[]> bodies = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private volatile String transcript = "";
    private volatile int status = 200;

    public FakeTranscriptionServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/audio/transcriptions", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                bodies.add(in.readAllBytes());
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth == null ? "" : auth);
            byte[] out = ("{\"text\":" + dev.lectern.core.json.Json.write(transcript) + "}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        });
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public FakeTranscriptionServer answer(String text) {
        this.transcript = text;
        return this;
    }

    public FakeTranscriptionServer status(int s) {
        this.status = s;
        return this;
    }

    public List<byte[]> bodies() {
        return bodies;
    }

    public List<String> authorizations() {
        return authorizations;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

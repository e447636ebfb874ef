package dev.lectern.ai.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.lectern.core.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** OpenAI-compatible and ElevenLabs text-to-speech endpoints on a free port, answering fake MP3 bytes. */
public final class FakeTtsServer implements AutoCloseable {
    public static final byte[] AUDIO = "ID3-fake-mp3".getBytes(StandardCharsets.US_ASCII);

    public record Call(String path, String query, Map<String, List<String>> headers, JsonNode body) {}

    private final HttpServer server;
    public final List<Call> calls = new CopyOnWriteArrayList<>();
    public volatile int status = 200;
    /** What a 200 answers: fake bytes by default; a test that decodes the audio sets a real MP3. */
    public volatile byte[] audio = AUDIO;

    public FakeTtsServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/", ex -> {
            try (ex) {
                calls.add(new Call(ex.getRequestURI().getPath(), ex.getRequestURI().getQuery(),
                        Map.copyOf(ex.getRequestHeaders()), Json.MAPPER.readTree(ex.getRequestBody().readAllBytes())));
                byte[] body = status == 200 ? audio : "{\"detail\":\"nope\"}".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

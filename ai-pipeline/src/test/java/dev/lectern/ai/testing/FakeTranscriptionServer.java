package dev.lectern.ai.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

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
    private final ConcurrentLinkedQueue<String> queued = new ConcurrentLinkedQueue<>();
    private final Set<Integer> failOnce = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();

    public FakeTranscriptionServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/audio/transcriptions", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                bodies.add(in.readAllBytes());
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth == null ? "" : auth);
            int n = requests.getAndIncrement();
            boolean fail = failOnce.remove(n);
            String text = fail ? "" : queued.isEmpty() ? transcript : queued.poll();
            byte[] out = (fail ? "{\"error\":{\"message\":\"overloaded\"}}"
                    : "{\"text\":" + dev.lectern.core.json.Json.write(text) + "}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(fail ? 503 : status, out.length);
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

    /** Answers the next requests with these texts, one each, in order; then with {@link #answer}'s text. */
    public FakeTranscriptionServer answers(String... texts) {
        queued.addAll(List.of(texts));
        return this;
    }

    /** The request with this number (0 = the first) fails once with 503; its retry is answered normally. */
    public FakeTranscriptionServer failRequestOnce(int n) {
        failOnce.add(n);
        return this;
    }

    /** Requests received so far. */
    public int requests() {
        return requests.get();
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

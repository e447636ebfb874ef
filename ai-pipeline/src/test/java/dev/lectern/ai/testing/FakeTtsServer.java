package dev.lectern.ai.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.lectern.core.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * OpenAI-compatible and ElevenLabs text-to-speech endpoints on a free port, answering fake MP3 bytes: whole (with a
 * Content-Length) by default, or streamed as the real services do ({@link #stream}): chunked, piece by piece, each
 * flushed, optionally holding after the first piece until {@link #release()}, so that a test can see what a client
 * gets while synthesis is provably still going on ({@link #finished} counts the answers that reached their end).
 */
public final class FakeTtsServer implements AutoCloseable {
    public static final byte[] AUDIO = "ID3-fake-mp3".getBytes(StandardCharsets.US_ASCII);

    public record Call(String path, String query, Map<String, List<String>> headers, JsonNode body) {}

    private final HttpServer server;
    public final List<Call> calls = new CopyOnWriteArrayList<>();
    public volatile int status = 200;
    /** What a 200 answers: fake bytes by default; a test that decodes the audio sets a real MP3. */
    public volatile byte[] audio = AUDIO;
    /** Answers whose last byte has been written. */
    public final AtomicInteger finished = new AtomicInteger();
    private volatile List<byte[]> pieces;
    private volatile boolean holdAfterFirst;
    private final CompletableFuture<Void> gate = new CompletableFuture<>();

    public FakeTtsServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/", ex -> {
            try (ex) {
                calls.add(new Call(ex.getRequestURI().getPath(), ex.getRequestURI().getQuery(),
                        Map.copyOf(ex.getRequestHeaders()), Json.MAPPER.readTree(ex.getRequestBody().readAllBytes())));
                List<byte[]> streamed = pieces;
                if (status == 200 && streamed != null) {
                    ex.sendResponseHeaders(200, 0); // chunked
                    OutputStream out = ex.getResponseBody();
                    for (int i = 0; i < streamed.size(); i++) {
                        if (i == 1 && holdAfterFirst) {
                            gate.join();
                        }
                        out.write(streamed.get(i));
                        out.flush();
                    }
                    out.close();
                    finished.incrementAndGet();
                    return;
                }
                byte[] body = status == 200 ? audio : "{\"detail\":\"nope\"}".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
                finished.incrementAndGet();
            }
        });
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-tts");
            t.setDaemon(true);
            return t;
        })); // answers that hold must not hold the others
        server.start();
    }

    /**
     * Streams every later 200 as {@code parts}, chunked, each flushed; with {@code holdAfterFirst} each answer waits
     * after its first piece until {@link #release()}.
     */
    public void stream(List<byte[]> parts, boolean holdAfterFirst) {
        this.holdAfterFirst = holdAfterFirst;
        this.pieces = List.copyOf(parts);
    }

    /** The streamed answers waiting after their first piece go on (and later ones do not wait). */
    public void release() {
        gate.complete(null);
    }

    /** All streamed pieces, concatenated: what a stored clip must equal. */
    public byte[] streamedAudio() {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        pieces.forEach(all::writeBytes);
        return all.toByteArray();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        release();
        server.stop(0);
    }
}

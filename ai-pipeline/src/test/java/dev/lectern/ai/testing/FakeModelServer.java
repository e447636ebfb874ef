package dev.lectern.ai.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lectern.core.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible upstream started by a test on a free port: each request to {@code /v1/chat/completions} runs
 * the next queued {@link Script}, which writes the stream exactly as a real provider would, quirks included.
 */
public final class FakeModelServer implements AutoCloseable {
    /** What one upstream request answers. */
    @FunctionalInterface
    public interface Script {
        void run(Exchange ex) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-model");
        t.setDaemon(true);
        return t;
    });
    private final BlockingQueue<Script> scripts = new LinkedBlockingQueue<>();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final List<Map<String, List<String>>> headers = new CopyOnWriteArrayList<>();
    private final AtomicInteger disconnects = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile CountDownLatch disconnected = new CountDownLatch(1);

    public FakeModelServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.setExecutor(pool);
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public FakeModelServer enqueue(Script s) {
        scripts.add(s);
        return this;
    }

    public List<JsonNode> requests() {
        return requests;
    }

    public List<Map<String, List<String>>> headers() {
        return headers;
    }

    public int disconnects() {
        return disconnects.get();
    }

    /** Waits until a script saw the client go away (the upstream request was cancelled). */
    public boolean awaitDisconnect(long seconds) throws InterruptedException {
        return disconnected.await(seconds, TimeUnit.SECONDS);
    }

    private void handle(HttpExchange http) throws IOException {
        try (http) {
            JsonNode body = Json.MAPPER.readTree(http.getRequestBody().readAllBytes());
            requests.add(body);
            headers.add(Map.copyOf(http.getRequestHeaders()));
            Script s = scripts.poll();
            Exchange ex = new Exchange(http);
            if (s == null) {
                ex.error(500, "{\"error\":{\"message\":\"no script queued\"}}");
                return;
            }
            try {
                s.run(ex);
            } catch (IOException e) {
                disconnects.incrementAndGet();
                disconnected.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        pool.shutdownNow();
    }

    /** One upstream response being written. */
    public final class Exchange {
        private final HttpExchange http;
        private OutputStream out;

        Exchange(HttpExchange http) {
            this.http = http;
        }

        public Exchange start() throws IOException {
            if (out == null) {
                http.getResponseHeaders().set("Content-Type", "text/event-stream");
                http.sendResponseHeaders(200, 0);
                out = http.getResponseBody();
            }
            return this;
        }

        public Exchange raw(String text) throws IOException {
            return bytes(text.getBytes(StandardCharsets.UTF_8));
        }

        public Exchange bytes(byte[] b) throws IOException {
            start();
            out.write(b);
            out.flush();
            return this;
        }

        /** A content delta in the OpenAI shape. */
        public Exchange text(String content) throws IOException {
            return raw("data: " + chunk(content, null) + "\n\n");
        }

        public Exchange finish(String reason) throws IOException {
            return raw("data: " + chunk(null, reason) + "\n\n");
        }

        /** The include_usage chunk: empty choices, a usage object. */
        public Exchange usage(long prompt, long completion) throws IOException {
            return raw("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"
                    + "{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion
                    + ",\"total_tokens\":" + (prompt + completion) + "}}\n\n");
        }

        public Exchange done() throws IOException {
            return raw("data: [DONE]\n\n");
        }

        public void error(int status, String json) throws IOException {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            http.getResponseHeaders().set("Content-Type", "application/json");
            http.sendResponseHeaders(status, b.length);
            http.getResponseBody().write(b);
        }

        /** Keeps the stream open, writing a comment now and then, until the client closes it. */
        public void holdUntilClientGone() throws IOException, InterruptedException {
            for (int i = 0; i < 3000 && release.getCount() > 0; i++) {
                raw(": waiting\n\n");
                Thread.sleep(10);
            }
        }

        /** Sends nothing more until the server closes (a stalled provider). */
        public void stall() throws InterruptedException {
            release.await(60, TimeUnit.SECONDS);
        }

        public Exchange pause(long millis) throws InterruptedException {
            Thread.sleep(millis);
            return this;
        }
    }

    public static String chunk(String content, String finishReason) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", "chatcmpl-1").put("object", "chat.completion.chunk").put("created", 1753357673)
                .put("model", "fake-model");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (content != null) {
            delta.put("content", content);
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        root.putNull("usage");
        return Json.write(root);
    }

    /** A normal answer: role delta, the pieces, stop, usage, [DONE]. */
    public static Script answer(String... pieces) {
        return ex -> {
            ex.raw("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                    + "\"finish_reason\":null}],\"usage\":null}\n\n");
            for (String p : pieces) {
                ex.text(p);
            }
            ex.finish("stop").usage(12, pieces.length).done();
        };
    }
}

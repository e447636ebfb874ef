package dev.lectern.bench;

import com.sun.net.httpserver.HttpServer;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.server.LecternServer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gateway overhead of the chat stream: the time from a model chunk arriving at Lectern to its SSE event being written
 * to the client's socket ({@code lectern.chat.gateway.latency}), at N concurrent streams. A fake OpenAI-compatible
 * upstream on loopback streams each answer as CHUNKS pieces, one every INTERVAL ms from a random phase (streams are
 * not in lock-step); N clients (the JDK HttpClient), the upstream and the server all share this one JVM and
 * machine. The clients read the SSE streams concurrently. One warm-up round, then a measured round on a fresh server
 * in the same JVM.
 *
 * <p>{@code bin/bench ChatGatewayBench [streams=1000] [chunks=50] [intervalMillis=20]}
 */
public final class ChatGatewayBench {
    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int chunks = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int intervalMillis = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        ExecutorService upstreamThreads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-upstream");
            t.setDaemon(true);
            return t;
        });
        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4096);
        upstream.setExecutor(upstreamThreads);
        upstream.createContext("/v1/chat/completions", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                ex.getResponseHeaders().set("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                // real streams are not in lock-step: each starts at a random point of the chunk interval
                Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(Math.max(1, intervalMillis)));
                for (int i = 0; i < chunks; i++) {
                    out.write(("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token" + i
                            + " \"},\"finish_reason\":null}]}\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(intervalMillis);
                }
                out.write(("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                        + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":" + chunks
                        + ",\"total_tokens\":" + (10 + chunks) + "}}\n\ndata: [DONE]\n\n")
                        .getBytes(StandardCharsets.UTF_8));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        upstream.start();
        String base = "http://127.0.0.1:" + upstream.getAddress().getPort() + "/v1";
        try {
            System.out.printf("chat gateway overhead: %d concurrent streams x %d chunks every %d ms%n",
                    streams, chunks, intervalMillis);
            round("warm-up", base, Math.min(streams, 200), chunks);
            round("measured", base, streams, chunks);
        } finally {
            upstream.stop(0);
            upstreamThreads.shutdownNow();
        }
    }

    private static void round(String name, String base, int streams, int chunks) throws Exception {
        // every token names its own user, so that no stream barges in on another
        TokenVerifier users = token -> CompletableFuture.completedFuture(new Principal(token, Role.STUDENT, token));
        try (LecternServer server = LecternServer.start(config(base), Map.of(), users)) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            URI uri = URI.create("http://127.0.0.1:" + server.httpPort() + "/api/chat/stream");
            AtomicLong events = new AtomicLong();
            AtomicLong completes = new AtomicLong();
            AtomicLong failures = new AtomicLong();
            long start = System.nanoTime();
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2))
                        .header("Authorization", "Bearer user-" + i)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"go " + i + "\"}")).build();
                all.add(client.sendAsync(req, HttpResponse.BodyHandlers.fromLineSubscriber(
                                new Counter(events, completes)))
                        .whenComplete((r, e) -> {
                            if (e != null || r.statusCode() != 200) {
                                failures.incrementAndGet();
                            }
                        }));
            }
            CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).handle((v, e) -> null)
                    .get(5, TimeUnit.MINUTES);
            long wallMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Timer t = server.app().meters().find("lectern.chat.gateway.latency").timer();
            HistogramSnapshot snap = t.takeSnapshot();
            StringBuilder pct = new StringBuilder();
            for (ValueAtPercentile v : snap.percentileValues()) {
                pct.append(String.format(" p%s=%.3f ms", trim(v.percentile() * 100), v.value(TimeUnit.MILLISECONDS)));
            }
            System.out.printf("%-8s streams=%d complete=%d failed=%d events=%d samples=%d%s mean=%.3f ms max=%.3f ms "
                            + "wall=%d ms%n", name, streams, completes.get(), failures.get(), events.get(), snap.count(),
                    pct, snap.mean(TimeUnit.MILLISECONDS), snap.max(TimeUnit.MILLISECONDS), wallMillis);
        }
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static ServerConfig config(String base) throws Exception {
        Path data = Files.createTempDirectory("lectern-bench");
        Map<String, String> env = new HashMap<>();
        env.put("LECTERN_HTTP__PORT", "0");
        env.put("LECTERN_SIGNALING__PORT", "0");
        env.put("LECTERN_HTTP__HOST", "127.0.0.1");
        env.put("LECTERN_STORAGE__DATA_DIR", data.toString());
        // every benchmark stream comes from one address and one user: the request rate limits would refuse them
        env.put("LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "0");
        env.put("LECTERN_ACCOUNTS__RATE_LIMIT__PER_USER_PER_MINUTE", "0");
        ServerConfig d = ConfigLoader.load(Path.of("config/lectern.yaml"), env);
        AiConfig a = d.ai();
        AiConfig ai = new AiConfig(List.of(new AiConfig.Provider("bench", base, "", List.of("bench-model"), "", "")),
                "", a.connectTimeoutMillis(), a.firstTokenTimeoutMillis(), a.idleTimeoutMillis(), a.maxRetries(),
                a.retryBackoffMillis(), a.temperature(), a.maxTokens(), a.contextTokenBudget(), a.maxMessageChars(),
                a.persona(), a.sseKeepAliveMillis(), a.chunker(), a.usage(),
                new AiConfig.Tts("none", "", "", "", "", 1000, 1000), a.retrieval(), a.transcription());
        return d.withAi(ai);
    }

    /** Counts SSE data lines and completed streams without a thread per stream. */
    private static final class Counter implements Flow.Subscriber<String> {
        private final AtomicLong events;
        private final AtomicLong completes;

        Counter(AtomicLong events, AtomicLong completes) {
            this.events = events;
            this.completes = completes;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            if (line.startsWith("data: ")) {
                events.incrementAndGet();
                if (line.contains("\"status\":\"complete\"")) {
                    completes.incrementAndGet();
                }
            }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onComplete() {}
    }
}

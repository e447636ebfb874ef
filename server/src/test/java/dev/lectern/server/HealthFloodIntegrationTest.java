package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.lectern.testing.TestConfigs;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #19 (low list), against the real server: every {@code GET /health} ran every component check, so a flood of
 * health requests became a flood of store pings and of requests to the avatar manager. Here the avatar manager is
 * external (a real HTTP server that counts the health probes it gets); 40 concurrent /health requests now share
 * rounds of checks (one per second, and one while it runs) instead of causing 40 probes.
 */
class HealthFloodIntegrationTest {
    @TempDir
    Path data;
    private LecternServer server;
    private HttpServer manager;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (manager != null) {
            manager.stop(0);
        }
    }

    @Test
    void aFloodOfHealthRequestsSharesOneRoundOfChecks() throws Exception {
        AtomicInteger probes = new AtomicInteger();
        manager = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        manager.createContext("/", ex -> {
            probes.incrementAndGet();
            try {
                Thread.sleep(300); // a manager that takes a moment: the requests below arrive while it answers
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        manager.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        manager.start();
        server = LecternServer.start(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_AVATARS__MODE", "external",
                "LECTERN_AVATARS__EXTERNAL_URL", "http://127.0.0.1:" + manager.getAddress().getPort())), Map.of());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/health"))
                .timeout(Duration.ofSeconds(30)).build();
        int before = probes.get();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            all.add(http.sendAsync(health, HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.join();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("external manager answers");
        }
        // before: 40 probes, one per request; now one per round (a round per second at most, shared while it runs)
        assertThat(probes.get() - before).as("avatar-manager probes for 40 /health requests").isLessThan(10);
    }
}

package dev.lectern.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.server.LecternServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code bin/bench AuthLoad [clients] [seconds] [redisUrl]}: starts Lectern on loopback (SQLite, in-process store, or
 * Redis when a URL is given; rate limits off so that they do not cap the figure), signs one user up, then has
 * {@code clients} keep-alive connections call {@code GET /api/token_status} — the JWT check plus the allow-list look-up
 * on the blocking executor — for {@code seconds}. Prints requests/s and latency percentiles, and the latency of
 * {@code POST /api/login} (bcrypt at the shipped cost).
 */
public final class AuthLoad {
    private AuthLoad() {}

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String redis = args.length > 2 ? args[2] : "";
        Path data = TempDirs.create("lectern-bench");
        Map<String, String> env = new HashMap<>(Map.of(
                "LECTERN_HTTP__PORT", "0", "LECTERN_SIGNALING__PORT", "0", "LECTERN_HTTP__HOST", "127.0.0.1",
                "LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "0",
                "LECTERN_ACCOUNTS__RATE_LIMIT__PER_USER_PER_MINUTE", "0"));
        String prefix = "lectern-bench-" + System.nanoTime() + ":";
        if (!redis.isEmpty()) {
            env.put("LECTERN_STORAGE__REDIS__URL", redis);
            env.put("LECTERN_STORAGE__REDIS__KEY_PREFIX", prefix);
        }
        try {
            run(env, clients, seconds);
        } finally {
            if (!redis.isEmpty()) {
                URI u = URI.create(redis);
                try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis(u.getHost(), u.getPort())) {
                    var keys = j.keys(prefix + "*");
                    if (!keys.isEmpty()) {
                        j.del(keys.toArray(new String[0]));
                    }
                }
            }
        }
    }

    private static void run(Map<String, String> env, int clients, int seconds) throws Exception {
        ServerConfig config = ConfigLoader.load(Path.of("config/lectern.yaml"), env);
        try (LecternServer server = LecternServer.start(config, Map.of())) {
            String base = "http://127.0.0.1:" + server.httpPort();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String email = "bench@example.com";
            String password = "Load-test-pass-2024";
            post(http, base + "/api/send_verification", Map.of("email", email));
            String code = server.ephemeralStore().get("code:register:" + email).orElseThrow();
            post(http, base + "/api/register", Map.of("email", email, "password", password, "code", code));

            long[] login = new long[20];
            String token = null;
            for (int i = 0; i < login.length; i++) {
                long t0 = System.nanoTime();
                token = post(http, base + "/api/login", Map.of("email", email, "password", password))
                        .get("token").asText();
                login[i] = System.nanoTime() - t0;
            }
            Arrays.sort(login);
            System.out.printf("login (bcrypt cost %d): p50 %.1f ms, max %.1f ms over %d logins%n",
                    config.accounts().bcryptCost(), login[login.length / 2] / 1e6, login[login.length - 1] / 1e6,
                    login.length);

            String bearer = "Bearer " + token;
            HttpRequest status = HttpRequest.newBuilder(URI.create(base + "/api/token_status"))
                    .header("Authorization", bearer).timeout(Duration.ofSeconds(10)).build();
            for (int i = 0; i < 2000; i++) { // warm-up
                http.send(status, HttpResponse.BodyHandlers.discarding());
            }
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            List<Future<long[]>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                results.add(pool.submit(() -> {
                    HttpClient own = HttpClient.newHttpClient();
                    long[] lat = new long[1 << 20];
                    int n = 0;
                    int errors = 0;
                    while (System.nanoTime() < deadline && n < lat.length) {
                        long t0 = System.nanoTime();
                        int code2 = own.send(status, HttpResponse.BodyHandlers.discarding()).statusCode();
                        lat[n++] = System.nanoTime() - t0;
                        if (code2 != 200) {
                            errors++;
                        }
                    }
                    long[] out = Arrays.copyOf(lat, n + 1);
                    out[n] = -errors - 1; // last slot: error count, negative to tell it apart
                    return out;
                }));
            }
            List<Long> all = new ArrayList<>();
            long errors = 0;
            for (Future<long[]> f : results) {
                long[] r = f.get();
                errors += -(r[r.length - 1] + 1);
                for (int i = 0; i < r.length - 1; i++) {
                    all.add(r[i]);
                }
            }
            pool.shutdown();
            long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("token_status on %s: %d clients, %d s: %.0f req/s, p50 %.2f ms, p99 %.2f ms,"
                            + " max %.2f ms, non-200: %d%n",
                    server.ephemeralStore().kind(), clients, seconds, sorted.length / (double) seconds,
                    pct(sorted, 0.50), pct(sorted, 0.99), sorted[sorted.length - 1] / 1e6, errors);
        }
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1e6;
    }

    private static JsonNode post(HttpClient http, String url, Map<String, Object> body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(url + " -> " + r.statusCode() + " " + r.body());
        }
        return Json.MAPPER.readTree(r.body());
    }
}

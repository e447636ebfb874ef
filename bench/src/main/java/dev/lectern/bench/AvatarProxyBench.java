package dev.lectern.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.bench.netty.BenchBackend;
import dev.lectern.bench.netty.ProxyBenchServer;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.media.AvatarAssignment;
import dev.lectern.media.LocalAvatarManager;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The avatar proxy against a direct connection to the same backend, and against nginx as the proxy when nginx is
 * installed: {@code bin/bench AvatarProxyBench [--connections 16] [--seconds 10] [--rounds 3] [--warmup-seconds 15]
 * [--body-bytes 1024] [--io-threads 1]}.
 *
 * <p>The backend ({@link BenchBackend}) is started by the real avatar manager from the command template, like an
 * avatar; Lectern proxies to it through its production HTTP pipeline and {@code /api/webrtc/{path}} route; nginx (a
 * private config in a temp dir on a loopback port, one worker, upstream keep-alive) proxies to the same port. Load is
 * closed-loop keep-alive HTTP/1.1 from blocking sockets in one JVM of its own: per target a throughput phase with N
 * connections and a latency phase with one. After a warm-up (Lectern's JIT), the targets are measured in rounds,
 * interleaved, the order rotating each round, so that a machine shared with other work loads them alike. Printed per
 * round: requests/s, p50/p99/p99.9; then per round and as the median: Lectern's throughput as a fraction of nginx's
 * and the p99 each proxy adds to the direct path.
 */
public final class AvatarProxyBench {
    private static final String TOKEN = "bench-token";

    private AvatarProxyBench() {}

    /** One phase's figures: requests per second and latency percentiles in milliseconds. */
    record Result(String name, double rps, double p50, double p99, double p999) {
        static Result of(String name, long requests, double seconds, long[] sortedMicros) {
            return new Result(name, requests / seconds, pct(sortedMicros, 50), pct(sortedMicros, 99),
                    pct(sortedMicros, 99.9));
        }

        private static double pct(long[] micros, double p) {
            if (micros.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(micros.length - 1, Math.ceil(p / 100.0 * micros.length) - 1);
            return micros[Math.max(0, i)] / 1000.0;
        }

        String line() {
            return String.format(Locale.ROOT, "RESULT %s %.3f %.4f %.4f %.4f", name, rps, p50, p99, p999);
        }

        static Result parse(String line) {
            String[] f = line.split(" ");
            return new Result(f[1], Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]),
                    Double.parseDouble(f[5]));
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--load")) {
            loadServer();
            return;
        }
        int connections = 16;
        int seconds = 10;
        int bodyBytes = 1024;
        int ioThreads = 1;
        int rounds = 3;
        int warmupSeconds = 15;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--connections" -> connections = Integer.parseInt(args[i + 1]);
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--body-bytes" -> bodyBytes = Integer.parseInt(args[i + 1]);
                case "--io-threads" -> ioThreads = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path tmp = Files.createTempDirectory("lectern-proxy-bench");
        ServerConfig config = config(tmp, bodyBytes, ioThreads);
        try (InMemoryEphemeralStore store = new InMemoryEphemeralStore();
             LocalAvatarManager avatars = new LocalAvatarManager(config.avatars(), tmp, store);
             LoadClient load = new LoadClient()) {
            AvatarAssignment a = avatars.start("bench-user", "bench").toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            int backend = a.port();
            System.out.printf(Locale.ROOT, "backend (avatar instance %s) on port %d; %d connections, %d s per phase,"
                    + " %d rounds, %d-byte bodies, %d Lectern I/O thread(s); load average before: %s%n",
                    a.instanceId(), backend, connections, seconds, rounds, bodyBytes, ioThreads, loadAverage());
            try (ProxyBenchServer lectern = new ProxyBenchServer(config, avatars, TOKEN, "bench-user")) {
                Process nginx = startNginx(tmp, backend);
                try {
                    List<Target> targets = new ArrayList<>();
                    targets.add(new Target("direct", backend, "/payload"));
                    targets.add(new Target("lectern", lectern.port(), "/api/webrtc/payload"));
                    if (nginx != null) {
                        targets.add(new Target("nginx", nginxPort, "/api/webrtc/payload"));
                    }
                    // warm-up: the JIT of Lectern (and of the load generator) before anything counts
                    for (Target t : targets) {
                        int s = t.name().equals("lectern") ? warmupSeconds : Math.max(2, warmupSeconds / 3);
                        load.run(t, connections, s);
                        load.run(t, 1, Math.max(1, s / 3));
                    }
                    List<Map<String, Result[]>> byRound = new ArrayList<>();
                    for (int r = 0; r < rounds; r++) {
                        // interleaved, and the order rotates each round, so drift in the machine's load hits all alike
                        Map<String, Result[]> round = new LinkedHashMap<>();
                        for (int k = 0; k < targets.size(); k++) {
                            Target t = targets.get((k + r) % targets.size());
                            round.put(t.name(), new Result[] {load.run(t, connections, seconds),
                                    load.run(t, 1, seconds)});
                        }
                        byRound.add(round);
                        report(r + 1, round);
                    }
                    summary(byRound, connections);
                } finally {
                    if (nginx != null) {
                        nginx.destroy();
                        nginx.waitFor(10, TimeUnit.SECONDS);
                        nginx.destroyForcibly();
                    }
                }
            }
            System.out.println("load average after: " + loadAverage());
        }
    }

    /** A proxy (or the backend itself) to put load on. */
    record Target(String name, int port, String path) {}

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static ServerConfig config(Path tmp, int bodyBytes, int ioThreads) {
        ObjectNode tree = ConfigLoader.readTree(Path.of("config/lectern.yaml"));
        ObjectNode avatars = (ObjectNode) tree.get("avatars");
        ArrayNode cmd = avatars.putArray("command");
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString()).add("-Xmx128m")
                .add("-cp").add(System.getProperty("java.class.path")).add(BenchBackend.class.getName())
                .add("--listenport").add("{port}").add("--body_bytes").add(Integer.toString(bodyBytes));
        avatars.put("workDir", ".");
        avatars.putArray("gpus");
        int start = freePortBlock();
        avatars.put("portRangeStart", start).put("portRangeEnd", start + 9);
        ArrayNode catalogue = avatars.putArray("catalogue");
        catalogue.addObject().put("name", "bench").put("description", "benchmark backend").put("status", "active")
                .put("voice", "").put("ttsModel", "").put("avatarModel", "bench").put("avatarId", "bench")
                .put("supportsClone", false).put("previewImage", "");
        ((ObjectNode) tree.get("http")).put("ioThreads", ioThreads).put("host", "127.0.0.1").put("port", 0);
        ((ObjectNode) tree.get("storage")).put("dataDir", tmp.toString());
        return ConfigLoader.bind(tree);
    }

    private static int freePortBlock() {
        for (int start = 41000; start < 60000; start += 10) {
            if (free(start)) {
                return start;
            }
        }
        throw new IllegalStateException("no free port block");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ nginx

    private static int nginxPort;

    private static Process startNginx(Path tmp, int backend) throws Exception {
        String binary = null;
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nginx"))) {
                binary = Path.of(dir, "nginx").toString();
                break;
            }
        }
        if (binary == null) {
            System.out.println("nginx: not installed, skipped (apt-get install -y nginx to compare)");
            return null;
        }
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            nginxPort = s.getLocalPort();
        }
        Path prefix = tmp.resolve("nginx");
        Files.createDirectories(prefix.resolve("logs"));
        String conf = String.join("\n",
                "worker_processes 1;",
                "daemon off;",
                "pid " + prefix.resolve("nginx.pid") + ";",
                "error_log " + prefix.resolve("logs/error.log") + " warn;",
                "events { worker_connections 4096; }",
                "http {",
                "  access_log off;",
                "  keepalive_requests 100000000;",
                "  client_body_temp_path " + prefix.resolve("body") + ";",
                "  proxy_temp_path " + prefix.resolve("proxy") + ";",
                "  fastcgi_temp_path " + prefix.resolve("fastcgi") + ";",
                "  uwsgi_temp_path " + prefix.resolve("uwsgi") + ";",
                "  scgi_temp_path " + prefix.resolve("scgi") + ";",
                "  upstream avatar { server 127.0.0.1:" + backend + "; keepalive 64; keepalive_requests 100000000; }",
                "  server {",
                "    listen 127.0.0.1:" + nginxPort + ";",
                "    location /api/webrtc/ {",
                "      proxy_pass http://avatar/;",
                "      proxy_http_version 1.1;",
                "      proxy_set_header Connection \"\";",
                "    }",
                "  }",
                "}", "");
        Path file = prefix.resolve("nginx.conf");
        Files.writeString(file, conf);
        Process p = new ProcessBuilder(binary, "-p", prefix.toString(), "-c", file.toString(), "-e",
                prefix.resolve("logs/error.log").toString())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                System.out.println("nginx: exited at start-up (see " + prefix.resolve("logs") + "), skipped");
                return null;
            }
            try (Socket s = new Socket("127.0.0.1", nginxPort)) {
                return p;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        System.out.println("nginx: did not start listening, skipped");
        return null;
    }

    // ------------------------------------------------------------------ load

    /**
     * The load generator: one JVM of its own for the whole run (so it is as warm for the last target as for the
     * first, and never shares a heap or GC with a target), told each phase on its stdin, answering one RESULT line.
     */
    static final class LoadClient implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final Writer in;

        LoadClient() throws IOException {
            process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-cp", System.getProperty("java.class.path"), AvatarProxyBench.class.getName(),
                    "--load").redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        Result run(Target t, int connections, int seconds) throws IOException {
            in.write(t.name() + " " + t.port() + " " + t.path() + " " + connections + " " + seconds + "\n");
            in.flush();
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("RESULT ")) {
                    return Result.parse(line);
                }
                if (line.startsWith("FAILED ")) {
                    throw new IllegalStateException(line);
                }
            }
            throw new IllegalStateException(t.name() + ": load generator exited");
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The load generator's loop: {@code name port path connections seconds} per line in, a RESULT line out. */
    private static void loadServer() throws IOException {
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in,
                StandardCharsets.UTF_8));
        String line;
        while ((line = commands.readLine()) != null) {
            String[] f = line.trim().split(" ");
            try {
                System.out.println(run(f[0], Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3]),
                        Integer.parseInt(f[4])).line());
            } catch (Exception e) {
                System.out.println("FAILED " + f[0] + ": " + e);
            }
            System.out.flush();
        }
    }

    private static Result run(String name, int port, String path, int connections, int seconds) throws Exception {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<long[]> perThread = new ArrayList<>();
        long[] counts = new long[connections];
        Thread[] threads = new Thread[connections];
        Throwable[] error = new Throwable[1];
        long started = System.nanoTime();
        for (int t = 0; t < connections; t++) {
            long[] lat = new long[4_000_000 / connections];
            perThread.add(lat);
            int index = t;
            threads[t] = new Thread(() -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream(), 65536);
                    int n = 0;
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        out.write(request);
                        out.flush();
                        readResponse(in);
                        if (n < lat.length) {
                            lat[n] = (System.nanoTime() - t0) / 1000;
                        }
                        n++;
                    }
                    counts[index] = n;
                } catch (Throwable e) {
                    error[0] = e;
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        if (error[0] != null) {
            throw new IllegalStateException(name + ": load failed", error[0]);
        }
        long total = Arrays.stream(counts).sum();
        int kept = 0;
        for (int t = 0; t < connections; t++) {
            kept += (int) Math.min(counts[t], perThread.get(t).length);
        }
        long[] all = new long[kept];
        int k = 0;
        for (int t = 0; t < connections; t++) {
            int m = (int) Math.min(counts[t], perThread.get(t).length);
            System.arraycopy(perThread.get(t), 0, all, k, m);
            k += m;
        }
        Arrays.sort(all);
        return Result.of(name, total, elapsed, all);
    }

    /** Reads one response (Content-Length or chunked) and checks its status. */
    private static void readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder(256);
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            int len = head.length();
            if (len >= 4 && head.charAt(len - 1) == '\n' && head.charAt(len - 2) == '\r'
                    && head.charAt(len - 3) == '\n' && head.charAt(len - 4) == '\r') {
                break;
            }
        }
        if (c < 0) {
            throw new IOException("connection closed");
        }
        String h = head.toString();
        if (!h.startsWith("HTTP/1.1 200")) {
            throw new IOException("unexpected response: " + h.lines().findFirst().orElse(""));
        }
        String lower = h.toLowerCase(Locale.ROOT);
        int cl = lower.indexOf("content-length:");
        if (cl >= 0) {
            int eol = lower.indexOf("\r\n", cl);
            skip(in, Long.parseLong(lower.substring(cl + 15, eol).trim()));
            return;
        }
        while (true) { // chunked
            StringBuilder size = new StringBuilder();
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    size.append((char) c);
                }
            }
            long n = Long.parseLong(size.toString().split(";")[0].trim(), 16);
            skip(in, n + 2);
            if (n == 0) {
                return;
            }
        }
    }

    private static void skip(InputStream in, long n) throws IOException {
        while (n > 0) {
            long s = in.skip(n);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new IOException("connection closed");
                }
                s = 1;
            }
            n -= s;
        }
    }

    // ------------------------------------------------------------------ report

    private static void report(int round, Map<String, Result[]> results) {
        System.out.println();
        System.out.printf(Locale.ROOT, "round %d (load average %s)%n", round, loadAverage());
        System.out.printf(Locale.ROOT, "%-8s %12s %9s %9s %9s | %10s %9s %9s %9s%n", "target", "req/s (N)",
                "p50 ms", "p99 ms", "p99.9 ms", "req/s (1)", "p50 ms", "p99 ms", "p99.9 ms");
        for (Result[] r : results.values()) {
            System.out.printf(Locale.ROOT, "%-8s %12.0f %9.3f %9.3f %9.3f | %10.0f %9.3f %9.3f %9.3f%n",
                    r[0].name(), r[0].rps(), r[0].p50(), r[0].p99(), r[0].p999(),
                    r[1].rps(), r[1].p50(), r[1].p99(), r[1].p999());
        }
    }

    /** Ratios per round and their medians: absolute figures drift with the machine's load, ratios much less. */
    private static void summary(List<Map<String, Result[]>> rounds, int connections) {
        List<Double> vsNginxN = new ArrayList<>();
        List<Double> vsNginx1 = new ArrayList<>();
        List<Double> vsDirectN = new ArrayList<>();
        List<Double> addedP99N = new ArrayList<>();
        List<Double> addedP991 = new ArrayList<>();
        List<Double> nginxAddedP99N = new ArrayList<>();
        List<Double> nginxAddedP991 = new ArrayList<>();
        for (Map<String, Result[]> r : rounds) {
            Result[] direct = r.get("direct");
            Result[] lectern = r.get("lectern");
            Result[] nginx = r.get("nginx");
            vsDirectN.add(lectern[0].rps() / direct[0].rps());
            addedP99N.add(lectern[0].p99() - direct[0].p99());
            addedP991.add(lectern[1].p99() - direct[1].p99());
            if (nginx != null) {
                vsNginxN.add(lectern[0].rps() / nginx[0].rps());
                vsNginx1.add(lectern[1].rps() / nginx[1].rps());
                nginxAddedP99N.add(nginx[0].p99() - direct[0].p99());
                nginxAddedP991.add(nginx[1].p99() - direct[1].p99());
            }
        }
        System.out.println();
        System.out.println("per round, then the median:");
        line("lectern adds p99 at " + connections + " connections (ms, vs direct)", addedP99N);
        line("lectern adds p99 at 1 connection (ms, vs direct)", addedP991);
        if (!vsNginxN.isEmpty()) {
            line("nginx adds p99 at " + connections + " connections (ms, vs direct)", nginxAddedP99N);
            line("nginx adds p99 at 1 connection (ms, vs direct)", nginxAddedP991);
            line("lectern/nginx throughput at " + connections + " connections (target >= 0.9x)", vsNginxN);
            line("lectern/nginx throughput at 1 connection", vsNginx1);
        }
        line("lectern/direct throughput at " + connections + " connections", vsDirectN);
    }

    private static void line(String label, List<Double> values) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-62s", label));
        for (double v : values) {
            sb.append(String.format(Locale.ROOT, " %7.3f", v));
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        sb.append(String.format(Locale.ROOT, "  | median %.3f", median));
        System.out.println(sb);
    }
}

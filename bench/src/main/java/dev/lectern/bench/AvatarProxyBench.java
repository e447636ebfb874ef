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
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
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
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The avatar proxy against a direct connection to the same backend, and against nginx as the proxy when nginx is
 * installed: {@code bin/bench AvatarProxyBench [--connections 16] [--seconds 3] [--rounds 10] [--warmup-seconds 15]
 * [--rate 2000] [--body-bytes 1024] [--io-threads 1]}.
 *
 * <p>The backend ({@link BenchBackend}) is started by the real avatar manager from the command template, like an
 * avatar; Lectern proxies to it through its production HTTP pipeline and {@code /api/webrtc/{path}} route; nginx (a
 * private config in a temp dir on a loopback port, as many workers as Lectern has I/O threads, upstream keep-alive
 * 64) proxies to the same port. Load comes from keep-alive HTTP/1.1 on blocking sockets in one JVM of its own. Per
 * target and round two phases:
 * <ul>
 *   <li>throughput: closed loop on N connections, as fast as the target answers;</li>
 *   <li>latency: open loop at a fixed offered rate ({@code --rate} requests/s spread over the N connections), each
 *       latency counted from the moment the request was due, not from when it could be sent, so a stalled target
 *       cannot hide its queue (no coordinated omission).</li>
 * </ul>
 * For each proxy the CPU time it used ({@code utime+stime} from {@code /proc}: this JVM, which runs Lectern, and
 * nginx's master and workers) is divided by the requests it served: CPU microseconds per request, a figure that
 * contention on a shared machine disturbs far less than throughput. The warm-up runs at least
 * {@code --warmup-seconds} and goes on until this JVM's JIT has settled (under 10 ms of compilation in a 2 s slice).
 * The targets are then measured in short rounds, alternating, the order rotating each round, so that a machine shared
 * with other work loads them alike. Printed per round: req/s and percentiles for both phases and the CPU figures; then
 * per round and as the median: Lectern's throughput as a fraction of nginx's, the p99 each proxy adds to the direct
 * path at the fixed rate, and CPU microseconds per request.
 */
public final class AvatarProxyBench {
    private static final String TOKEN = "bench-token";
    /** Jiffies per second of /proc/<pid>/stat ({@code getconf CLK_TCK}); 100 on every Linux this runs on. */
    static final long CLOCK_TICKS = clockTicks();

    private AvatarProxyBench() {}

    /** One phase's figures: requests, requests per second and latency percentiles in milliseconds. */
    record Result(String name, long requests, double rps, double p50, double p99, double p999) {
        static Result of(String name, long requests, double seconds, long[] sortedMicros) {
            return new Result(name, requests, requests / seconds, pct(sortedMicros, 50), pct(sortedMicros, 99),
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
            return String.format(Locale.ROOT, "RESULT %s %d %.3f %.4f %.4f %.4f", name, requests, rps, p50, p99,
                    p999);
        }

        static Result parse(String line) {
            String[] f = line.split(" ");
            return new Result(f[1], Long.parseLong(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]),
                    Double.parseDouble(f[5]), Double.parseDouble(f[6]));
        }
    }

    /** A phase's load figures with the CPU the target spent on it (NaN when not measured, as for direct). */
    record Measured(Result load, double cpuMicrosPerRequest) {}

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--load")) {
            loadServer();
            return;
        }
        int connections = 16;
        int seconds = 3;
        int bodyBytes = 1024;
        int ioThreads = 1;
        int rounds = 10;
        int warmupSeconds = 15;
        int rate = 2000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--connections" -> connections = Integer.parseInt(args[i + 1]);
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--body-bytes" -> bodyBytes = Integer.parseInt(args[i + 1]);
                case "--io-threads" -> ioThreads = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(args[i + 1]);
                case "--rate" -> rate = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path tmp = TempDirs.create("lectern-proxy-bench");
        ServerConfig config = config(tmp, bodyBytes, ioThreads);
        try (InMemoryEphemeralStore store = new InMemoryEphemeralStore();
             LocalAvatarManager avatars = new LocalAvatarManager(config.avatars(), tmp, store);
             LoadClient load = new LoadClient()) {
            AvatarAssignment a = avatars.start("bench-user", "bench").toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            int backend = a.port();
            System.out.printf(Locale.ROOT, "backend (avatar instance %s) on port %d; %d connections, %d s per phase,"
                    + " %d rounds, open-loop latency at %d req/s, %d-byte bodies, %d Lectern I/O thread(s) and as"
                    + " many nginx workers; load average before: %s%n",
                    a.instanceId(), backend, connections, seconds, rounds, rate, bodyBytes, ioThreads, loadAverage());
            try (ProxyBenchServer lectern = new ProxyBenchServer(config, avatars, TOKEN, "bench-user")) {
                Process nginx = startNginx(tmp, backend, ioThreads);
                try {
                    long self = ProcessHandle.current().pid();
                    List<Target> targets = new ArrayList<>();
                    targets.add(new Target("direct", backend, "/payload", null));
                    targets.add(new Target("lectern", lectern.port(), "/api/webrtc/payload",
                            () -> cpuTicks(List.of(self))));
                    if (nginx != null) {
                        long master = nginx.pid();
                        targets.add(new Target("nginx", nginxPort, "/api/webrtc/payload",
                                () -> cpuTicks(withChildren(master))));
                    }
                    warmUp(load, targets, connections, rate, warmupSeconds);
                    int n = connections;
                    int phaseSeconds = seconds;
                    int perSecond = rate;
                    List<Map<String, Measured[]>> byRound = new ArrayList<>();
                    for (int r = 0; r < rounds; r++) {
                        // alternating, the order rotating each round, so drift in the machine's load hits all alike
                        Map<String, Measured[]> round = new LinkedHashMap<>();
                        for (int k = 0; k < targets.size(); k++) {
                            Target t = targets.get((k + r) % targets.size());
                            round.put(t.name(), new Measured[] {measure(t, () -> load.closed(t, n, phaseSeconds)),
                                    measure(t, () -> load.open(t, n, phaseSeconds, perSecond))});
                        }
                        byRound.add(round);
                        report(r + 1, round, rate);
                    }
                    summary(byRound, connections, rate);
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

    /** A proxy (or the backend itself) to put load on, and how to read the CPU time it has used, in jiffies. */
    record Target(String name, int port, String path, LongSupplier cpuTicks) {}

    @FunctionalInterface
    interface Phase {
        Result run() throws IOException;
    }

    private static Measured measure(Target t, Phase phase) throws IOException {
        long before = t.cpuTicks() == null ? 0 : t.cpuTicks().getAsLong();
        Result r = phase.run();
        if (t.cpuTicks() == null || r.requests() == 0) {
            return new Measured(r, Double.NaN);
        }
        long ticks = t.cpuTicks().getAsLong() - before;
        return new Measured(r, ticks * 1e6 / CLOCK_TICKS / r.requests());
    }

    /**
     * Every target is loaded for a while (the load generator's JIT), Lectern for at least {@code minSeconds} and
     * then until its JIT has settled: a 2 s slice of load that costs under 10 ms of compilation, or 4x the minimum.
     */
    private static void warmUp(LoadClient load, List<Target> targets, int connections, int rate, int minSeconds)
            throws IOException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        for (Target t : targets) {
            if (!t.name().equals("lectern")) {
                int s = Math.max(2, minSeconds / 3);
                load.closed(t, connections, s);
                load.open(t, connections, Math.max(1, s / 2), rate);
            }
        }
        Target lectern = targets.stream().filter(t -> t.name().equals("lectern")).findFirst().orElseThrow();
        long started = System.nanoTime();
        long maxNanos = TimeUnit.SECONDS.toNanos(4L * Math.max(1, minSeconds));
        long lastJit = jit.getTotalCompilationTime();
        long sliceJit = Long.MAX_VALUE;
        int slices = 0;
        while (true) {
            load.closed(lectern, connections, 1);
            load.open(lectern, connections, 1, rate);
            slices++;
            long nowJit = jit.getTotalCompilationTime();
            sliceJit = nowJit - lastJit;
            lastJit = nowJit;
            long elapsed = System.nanoTime() - started;
            if (elapsed >= TimeUnit.SECONDS.toNanos(minSeconds) && sliceJit < 10 || elapsed >= maxNanos) {
                break;
            }
        }
        System.out.printf(Locale.ROOT, "warm-up: Lectern %d s (%d slices; JIT %d ms in the last 2 s slice, %d ms"
                + " in all)%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), slices, sliceJit,
                lastJit);
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    /** utime + stime of these processes, in jiffies; a process that has gone counts nothing. */
    static long cpuTicks(List<Long> pids) {
        long sum = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                // the command name (field 2) may hold spaces: fields are counted after its closing parenthesis
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                sum += Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
            } catch (IOException | RuntimeException e) {
                // exited
            }
        }
        return sum;
    }

    /** The process and its children (nginx's workers). */
    static List<Long> withChildren(long pid) {
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        ProcessHandle.of(pid).ifPresent(h -> h.children().forEach(c -> pids.add(c.pid())));
        return pids;
    }

    static String loadAverage() {
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
        ((ArrayNode) avatars.get("proxyPaths")).add("payload"); // the bench backend's endpoint
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

    static int freePortBlock() {
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

    private static Process startNginx(Path tmp, int backend, int workers) throws Exception {
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
                // as many workers as Lectern has I/O threads (0 there means one per core, as auto does here)
                "worker_processes " + (workers > 0 ? Integer.toString(workers) : "auto") + ";",
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
     * Its young generation is large enough that it rarely collects during a phase: its pauses would count as the
     * targets' latency.
     */
    static final class LoadClient implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final Writer in;

        LoadClient() throws IOException {
            process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xms1g", "-Xmx1g", "-Xmn768m", "-XX:+AlwaysPreTouch", "-cp", System.getProperty("java.class.path"),
                    AvatarProxyBench.class.getName(), "--load").redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        /** Closed loop: each connection sends its next request as soon as the previous answer is in. */
        Result closed(Target t, int connections, int seconds) throws IOException {
            return send(t, connections, seconds, 0);
        }

        /** Open loop: {@code rate} requests per second in all, spread evenly over the connections. */
        Result open(Target t, int connections, int seconds, int rate) throws IOException {
            return send(t, connections, seconds, rate);
        }

        private Result send(Target t, int connections, int seconds, int rate) throws IOException {
            in.write(t.name() + " " + t.port() + " " + t.path() + " " + connections + " " + seconds + " " + rate
                    + "\n");
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

    /** The load generator's loop: {@code name port path connections seconds rate} per line in, a RESULT line out. */
    private static void loadServer() throws IOException {
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in,
                StandardCharsets.UTF_8));
        String line;
        while ((line = commands.readLine()) != null) {
            String[] f = line.trim().split(" ");
            try {
                System.out.println(run(f[0], Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3]),
                        Integer.parseInt(f[4]), Integer.parseInt(f[5])).line());
            } catch (Exception e) {
                System.out.println("FAILED " + f[0] + ": " + e);
            }
            System.out.flush();
        }
    }

    /**
     * One phase. With {@code rate == 0} each connection loops as fast as it is answered; otherwise request k of
     * connection i is due at {@code start + (k * connections + i) / rate} and its latency runs from then, so the time
     * a request waits behind a slow one is counted too.
     */
    private static Result run(String name, int port, String path, int connections, int seconds, int rate)
            throws Exception {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long started = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(rate > 0 ? 20 : 0); // time to connect
        long end = started + TimeUnit.SECONDS.toNanos(seconds);
        double intervalNanos = rate > 0 ? 1e9 * connections / rate : 0;
        List<long[]> perThread = new ArrayList<>();
        long[] counts = new long[connections];
        Thread[] threads = new Thread[connections];
        Throwable[] error = new Throwable[1];
        for (int t = 0; t < connections; t++) {
            long[] lat = new long[(rate > 0 ? (int) Math.min(4_000_000L, (long) rate * seconds + 16) : 4_000_000)
                    / connections + 1];
            perThread.add(lat);
            int index = t;
            threads[t] = new Thread(() -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream(), 65536);
                    int n = 0;
                    while (true) {
                        long t0;
                        if (rate > 0) {
                            t0 = started + (long) ((n + (double) index / connections) * intervalNanos);
                            if (t0 >= end) {
                                break;
                            }
                            long wait;
                            while ((wait = t0 - System.nanoTime()) > 0) {
                                LockSupport.parkNanos(wait);
                            }
                        } else {
                            t0 = System.nanoTime();
                            if (t0 >= end) {
                                break;
                            }
                        }
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
        double elapsed = (Math.max(System.nanoTime(), end) - started) / 1e9;
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

    private static void report(int round, Map<String, Measured[]> results, int rate) {
        System.out.println();
        System.out.printf(Locale.ROOT, "round %d (load average %s)%n", round, loadAverage());
        System.out.printf(Locale.ROOT, "%-8s %10s %8s %8s %8s %7s | %10s %8s %8s %8s %7s%n", "target",
                "req/s (N)", "p50 ms", "p99 ms", "p99.9 ms", "CPU us", "req/s @" + rate, "p50 ms", "p99 ms",
                "p99.9 ms", "CPU us");
        for (Measured[] m : results.values()) {
            Result n = m[0].load();
            Result o = m[1].load();
            System.out.printf(Locale.ROOT, "%-8s %10.0f %8.3f %8.3f %8.3f %7.1f | %10.0f %8.3f %8.3f %8.3f %7.1f%n",
                    n.name(), n.rps(), n.p50(), n.p99(), n.p999(), m[0].cpuMicrosPerRequest(),
                    o.rps(), o.p50(), o.p99(), o.p999(), m[1].cpuMicrosPerRequest());
        }
    }

    /** Ratios and differences per round and their medians: absolute figures drift with the machine's load. */
    private static void summary(List<Map<String, Measured[]>> rounds, int connections, int rate) {
        List<Double> vsNginx = new ArrayList<>();
        List<Double> vsDirect = new ArrayList<>();
        List<Double> addedP99 = new ArrayList<>();
        List<Double> nginxAddedP99 = new ArrayList<>();
        List<Double> addedP99Closed = new ArrayList<>();
        List<Double> nginxAddedP99Closed = new ArrayList<>();
        List<Double> cpuLectern = new ArrayList<>();
        List<Double> cpuNginx = new ArrayList<>();
        List<Double> cpuLecternOpen = new ArrayList<>();
        List<Double> cpuNginxOpen = new ArrayList<>();
        for (Map<String, Measured[]> r : rounds) {
            Measured[] direct = r.get("direct");
            Measured[] lectern = r.get("lectern");
            Measured[] nginx = r.get("nginx");
            vsDirect.add(lectern[0].load().rps() / direct[0].load().rps());
            addedP99.add(lectern[1].load().p99() - direct[1].load().p99());
            addedP99Closed.add(lectern[0].load().p99() - direct[0].load().p99());
            cpuLectern.add(lectern[0].cpuMicrosPerRequest());
            cpuLecternOpen.add(lectern[1].cpuMicrosPerRequest());
            if (nginx != null) {
                vsNginx.add(lectern[0].load().rps() / nginx[0].load().rps());
                nginxAddedP99.add(nginx[1].load().p99() - direct[1].load().p99());
                nginxAddedP99Closed.add(nginx[0].load().p99() - direct[0].load().p99());
                cpuNginx.add(nginx[0].cpuMicrosPerRequest());
                cpuNginxOpen.add(nginx[1].cpuMicrosPerRequest());
            }
        }
        System.out.println();
        System.out.println("per round, then the median:");
        if (!vsNginx.isEmpty()) {
            line("lectern/nginx throughput at " + connections + " connections (target >= 0.9x)", vsNginx);
        }
        line("lectern/direct throughput at " + connections + " connections", vsDirect);
        line("lectern adds p99 at " + rate + " req/s (ms, vs direct; target < 1 ms)", addedP99);
        if (!vsNginx.isEmpty()) {
            line("nginx adds p99 at " + rate + " req/s (ms, vs direct)", nginxAddedP99);
        }
        line("lectern adds p99 at " + connections + " connections, closed loop (ms)", addedP99Closed);
        if (!vsNginx.isEmpty()) {
            line("nginx adds p99 at " + connections + " connections, closed loop (ms)", nginxAddedP99Closed);
        }
        line("lectern CPU us/request at " + connections + " connections", cpuLectern);
        if (!vsNginx.isEmpty()) {
            line("nginx CPU us/request at " + connections + " connections", cpuNginx);
        }
        line("lectern CPU us/request at " + rate + " req/s", cpuLecternOpen);
        if (!vsNginx.isEmpty()) {
            line("nginx CPU us/request at " + rate + " req/s", cpuNginxOpen);
        }
    }

    private static void line(String label, List<Double> values) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-62s", label));
        for (double v : values) {
            sb.append(String.format(Locale.ROOT, " %7.3f", v));
        }
        sb.append(String.format(Locale.ROOT, "  | median %.3f", PeerComparison.median(values)));
        System.out.println(sb);
    }
}

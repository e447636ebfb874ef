package dev.lectern.bench;

import dev.lectern.core.netty.EventLoops;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Signaling load: N Socket.IO clients (WebSocket transport, Netty client) in rooms of two, each relaying an
 * {@code offer} to its partner at a fixed rate. Starts Lectern as a child JVM on loopback (so the heap figures are the
 * server's alone), then reports retained heap per idle connection, p50/p99/max relay latency at 1 msg/s per client,
 * and the highest sustained relay rate from a stepped ramp. Bounded in time; stops everything by itself.
 *
 * <pre>bin/bench SignalingLoad [--clients 10000] [--seconds 20] [--server-heap 1g] [--settle-seconds 46] [--warmup-seconds 15]</pre>
 * Extra JVM options for the server come from {@code BENCH_SERVER_OPTS} (e.g. {@code -Xlog:gc:file=/tmp/gc.log}).
 */
public final class SignalingLoad {

    private final int clients;
    private final int seconds;
    private final int settleSeconds;
    private final int warmupSeconds;
    private final String serverHeap;
    private final LatencyHistogram histogram = new LatencyHistogram();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private volatile long periodNanos = TimeUnit.SECONDS.toNanos(1);
    private volatile boolean sending;
    private final CountDownLatch joined;
    private final AtomicLong failures = new AtomicLong();

    private SignalingLoad(int clients, int seconds, String serverHeap, int settleSeconds, int warmupSeconds) {
        this.settleSeconds = settleSeconds;
        this.warmupSeconds = warmupSeconds;
        this.clients = clients;
        this.seconds = seconds;
        this.serverHeap = serverHeap;
        this.joined = new CountDownLatch(clients);
    }

    public static void main(String[] args) throws Exception {
        int clients = 10_000;
        int seconds = 20;
        String heap = "1g";
        int settle = 46; // default ping interval + ping timeout, plus a second
        int warmup = 15;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--server-heap" -> heap = args[++i];
                case "--settle-seconds" -> settle = Integer.parseInt(args[++i]);
                case "--warmup-seconds" -> warmup = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: SignalingLoad [--clients N] [--seconds S] [--server-heap SIZE]"
                            + " [--settle-seconds S] [--warmup-seconds S]");
                    System.exit(64);
                }
            }
        }
        if (clients % 2 != 0 || clients < 2) {
            throw new IllegalArgumentException("--clients must be even and >= 2");
        }
        new SignalingLoad(clients, seconds, heap, settle, warmup).run();
        System.exit(0);
    }

    private void run() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = Files.createTempFile("lectern-bench-server", ".log");
        Process server = startServer(port, log);
        EventLoopGroup group = EventLoops.newGroup(1, "bench-client");
        try {
            awaitPort(port, server, log);
            long baseline = serverHeapAfterGc(server.pid(), port);
            long t0 = System.nanoTime();
            connectAll(group, port);
            if (!joined.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("only " + (clients - joined.getCount()) + " of " + clients
                        + " clients joined within 120 s (failures: " + failures.get() + ")");
            }
            double connectSeconds = (System.nanoTime() - t0) / 1e9;
            long idle = serverHeapAfterGc(server.pid(), port);
            System.out.printf(Locale.ROOT, "clients: %d connected and joined in %.1f s (%d rooms of two)%n",
                    clients, connectSeconds, clients / 2);
            System.out.printf(Locale.ROOT, "server heap after GC: baseline %.1f MB, with %d idle clients %.1f MB"
                    + " -> %.2f KB per connection just after joining%n", baseline / 1e6, clients, idle / 1e6,
                    (idle - baseline) / 1024.0 / clients);
            if (settleSeconds > 0) {
                // Connection state recovery keeps each socket's recent events (joined, peer-joined) for ping interval
                // + ping timeout; what an idle connection really costs is measured once they have aged out.
                Thread.sleep(TimeUnit.SECONDS.toMillis(settleSeconds));
                long settled = serverHeapAfterGc(server.pid(), port);
                System.out.printf(Locale.ROOT, "server heap after GC, %d s later: %.1f MB -> %.2f KB per idle"
                        + " connection%n", settleSeconds, settled / 1e6, (settled - baseline) / 1024.0 / clients);
            }

            // steady phase: every client relays one offer per second to its partner
            sending = true;
            // not measured: the JIT compiles the relay path meanwhile (its threads compete with both sides)
            measure(TimeUnit.SECONDS.toNanos(1), warmupSeconds, false);
            Result steady = measure(TimeUnit.SECONDS.toNanos(1), seconds, true);
            System.out.printf(Locale.ROOT, "steady: %d clients x 1 msg/s for %d s: relayed %.0f msg/s,"
                    + " latency p50 %s, p99 %s, p99.9 %s, max %.3f ms%n", clients, seconds,
                    steady.rate, ms(steady.p50), ms(steady.p99), ms(steady.p999), steady.max);

            // ramp: raise the per-client rate until the server falls behind
            double best = sustained(steady, clients) ? steady.rate : 0;
            for (double perClient : new double[] {2, 4, 8, 16, 32}) {
                Result r = measure((long) (1e9 / perClient), 5, true);
                double target = clients * perClient;
                boolean kept = sustained(r, target);
                System.out.printf(Locale.ROOT, "ramp: target %.0f msg/s -> relayed %.0f msg/s, p50 %s, p99 %s%s%n",
                        target, r.rate, ms(r.p50), ms(r.p99), kept ? "" : "  (not sustained)");
                if (!kept || best == 0) {
                    break;
                }
                best = r.rate;
            }
            System.out.printf(Locale.ROOT, "highest sustained relay rate: %s (>= 95%% delivered with p99 < 50 ms)%n",
                    best > 0 ? String.format(Locale.ROOT, "%.0f msg/s", best) : "none (the steady phase missed it)");
            sending = false;
            String metrics = scrape(port);
            System.out.printf(Locale.ROOT, "server: %s open signaling sessions, %s slow consumers disconnected;"
                    + " client-side failures %d%n", metric(metrics, "lectern_signaling_sessions"),
                    metric(metrics, "lectern_signaling_slow_consumers_total"), failures.get());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            server.destroy();
            if (!server.waitFor(15, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            Files.deleteIfExists(log);
        }
    }

    private static boolean sustained(Result r, double target) {
        return r.rate >= 0.95 * target && r.p99 < 50;
    }

    private static String ms(double value) {
        return LatencyHistogram.format(value);
    }

    private record Result(double rate, double p50, double p99, double p999, double max) {}

    private Result measure(long period, int secs, boolean report) throws InterruptedException {
        periodNanos = period;
        Thread.sleep(1000); // let the new rate settle
        histogram.reset();
        long r0 = received.get();
        long t0 = System.nanoTime();
        Thread.sleep(secs * 1000L);
        long n = received.get() - r0;
        double elapsed = (System.nanoTime() - t0) / 1e9;
        LatencyHistogram.Snapshot snap = histogram.snapshot();
        return new Result(n / elapsed, snap.millis(0.50), snap.millis(0.99), snap.millis(0.999), snap.maxMillis());
    }

    private void record(long nanos) {
        received.incrementAndGet();
        histogram.record(nanos);
    }

    // ---- the server process

    private Process startServer(int port, Path log) throws Exception {
        List<String> command = ServerJvm.command(serverHeap, "dev.lectern.server.Main",
                "--config", Path.of("config/lectern.yaml").toAbsolutePath().toString());
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("LECTERN_HTTP__HOST", "127.0.0.1");
        pb.environment().put("LECTERN_HTTP__PORT", Integer.toString(port));
        pb.environment().put("LECTERN_SIGNALING__PORT", Integer.toString(port));
        pb.environment().put("LECTERN_SIGNALING__DEV_MODE", "true");
        pb.environment().put("LECTERN_STORAGE__DATA_DIR", TempDirs.create("lectern-bench-data").toString());
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    static void awaitPort(int port, Process server, Path log) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited: " + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("server did not listen on " + port);
    }

    static String scrape(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static String metric(String metrics, String name) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return line.substring(line.lastIndexOf(' ') + 1);
            }
        }
        return "?";
    }

    /** Heap in use (sum of the heap pools from /metrics) right after a full GC requested with jcmd. */
    private static long serverHeapAfterGc(long pid, int port) throws Exception {
        for (int i = 0; i < 2; i++) {
            Process gc = new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true)
                    .redirectOutput(new File("/dev/null")).start();
            gc.waitFor(60, TimeUnit.SECONDS);
        }
        String metrics = scrape(port);
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) sum;
    }

    // ---- the clients

    private void connectAll(EventLoopGroup group, int port) throws Exception {
        SocketIoClients.connectAll(group, clients, i -> port, Client::new, failures);
    }

    /** One Socket.IO client: open → CONNECT with a dev user id → join its room → relay offers to its partner. */
    private final class Client extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final int index;
        private final Semaphore inFlight;
        private final String room;
        private boolean ready;

        Client(int index, Semaphore inFlight) {
            this.index = index;
            this.inFlight = inFlight;
            this.room = "room-" + (index / 2);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (!(frame instanceof TextWebSocketFrame text)) {
                return;
            }
            String s = text.text();
            if (SocketIoClients.handshake(ctx, s, "u" + index, room)) {
                return;
            }
            if (s.startsWith("42[\"joined\"")) {
                if (!ready) {
                    ready = true;
                    inFlight.release();
                    joined.countDown();
                    long first = ThreadLocalRandom.current().nextLong(TimeUnit.SECONDS.toNanos(1));
                    ctx.executor().schedule(() -> tick(ctx), first, TimeUnit.NANOSECONDS);
                }
            } else if (s.startsWith("42[\"offer\"")) {
                long age = SocketIoClients.offerAgeNanos(s);
                if (age >= 0) {
                    record(age);
                }
            } else if (s.startsWith("44") || s.startsWith("42[\"error\"")) {
                failures.incrementAndGet();
            }
        }

        private void tick(ChannelHandlerContext ctx) {
            if (!ctx.channel().isActive()) {
                return;
            }
            long period = periodNanos;
            if (sending) {
                ctx.writeAndFlush(new TextWebSocketFrame(SocketIoClients.offer(room)));
                sent.incrementAndGet();
            }
            ctx.executor().schedule(() -> tick(ctx), period, TimeUnit.NANOSECONDS);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.incrementAndGet();
            ctx.close();
        }
    }
}

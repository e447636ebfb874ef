package dev.lectern.bench;

import dev.lectern.core.netty.EventLoops;
import io.netty.channel.EventLoopGroup;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Signaling load: N Socket.IO clients (WebSocket transport, Netty client) in rooms of two, each relaying an
 * {@code offer} to its partner at a fixed rate. Starts Lectern as a child JVM on loopback (so the heap figures are the
 * server's alone), then reports retained heap per idle connection, p50/p99/max relay latency at
 * {@code --client-rate} msg/s per client, and the highest sustained relay rate from a stepped ramp. Bounded in time;
 * stops everything by itself.
 *
 * <p>With {@code --peer node|netty-socketio} (or {@code --rounds N} alone) it runs the same load, in the same run,
 * against Lectern and the peer (the Node.js socket.io relay, or the netty-socketio relay in a JVM with the same heap
 * as Lectern's), in {@code --rounds} alternating windows of {@code --seconds} each: see {@link PeerComparison}.
 *
 * <pre>bin/bench SignalingLoad [--clients 10000] [--seconds 20] [--server-heap 1g] [--settle-seconds 46]
 *     [--warmup-seconds 15] [--client-rate 1] [--peer node|netty-socketio] [--rounds 5]
 *     [--variant NAME=JVM_OPTIONS]...</pre>
 * {@code --variant} adds a Lectern target {@code lectern-NAME} with those JVM options (space-separated) to the
 * alternating rounds, e.g. {@code --variant uring=-Dlectern.transport=io_uring}: see {@link Variant}.
 * Extra JVM options for the server come from {@code BENCH_SERVER_OPTS} (e.g. {@code -Xlog:gc:file=/tmp/gc.log}).
 */
public final class SignalingLoad {

    private final int clients;
    private final int seconds;
    private final int settleSeconds;
    private final int warmupSeconds;
    private final String serverHeap;
    private final double clientRate;

    private SignalingLoad(int clients, int seconds, String serverHeap, int settleSeconds, int warmupSeconds,
            double clientRate) {
        this.settleSeconds = settleSeconds;
        this.warmupSeconds = warmupSeconds;
        this.clients = clients;
        this.seconds = seconds;
        this.serverHeap = serverHeap;
        this.clientRate = clientRate;
    }

    public static void main(String[] args) throws Exception {
        int clients = 10_000;
        int seconds = 20;
        String heap = "1g";
        int settle = 46; // default ping interval + ping timeout, plus a second
        int warmup = 15;
        double clientRate = 1;
        String peer = null;
        int rounds = 0;
        List<Variant> variants = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--server-heap" -> heap = args[++i];
                case "--settle-seconds" -> settle = Integer.parseInt(args[++i]);
                case "--warmup-seconds" -> warmup = Integer.parseInt(args[++i]);
                case "--client-rate" -> clientRate = Double.parseDouble(args[++i]);
                case "--peer" -> peer = args[++i];
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--variant" -> variants.add(Variant.parse(args[++i]));
                default -> usage();
            }
        }
        if (clients % 2 != 0 || clients < 2) {
            throw new IllegalArgumentException("--clients must be even and >= 2");
        }
        if (peer != null && !peer.equals("node") && !peer.equals("netty-socketio")) {
            usage();
        }
        SignalingLoad load = new SignalingLoad(clients, seconds, heap, settle, warmup, clientRate);
        if (peer != null || rounds > 0 || !variants.isEmpty()) {
            load.compare(peer, variants, rounds > 0 ? rounds : 5);
        } else {
            load.run();
        }
        System.exit(0);
    }

    private static void usage() {
        System.err.println("usage: SignalingLoad [--clients N] [--seconds S] [--server-heap SIZE]"
                + " [--settle-seconds S] [--warmup-seconds S] [--client-rate R] [--peer node|netty-socketio]"
                + " [--rounds N] [--variant NAME=JVM_OPTIONS]...");
        System.exit(64);
    }

    private long periodNanos(double perClient) {
        return (long) (1e9 / perClient);
    }

    private void run() throws Exception {
        RelayLoad load = new RelayLoad("lectern", clients);
        EventLoopGroup group = EventLoops.newGroup(1, "bench-client");
        try (RelayTarget server = RelayTarget.lectern(1, serverHeap, null, null)) {
            int port = server.port(0);
            long pid = server.processes().get(0).pid();
            long baseline = serverHeapAfterGc(pid, port);
            long t0 = System.nanoTime();
            if (!load.connect(group, i -> port, 120)) {
                throw new IllegalStateException("only " + load.readyCount() + " of " + clients
                        + " clients joined within 120 s (failures: " + load.failures() + ")");
            }
            double connectSeconds = (System.nanoTime() - t0) / 1e9;
            long idle = serverHeapAfterGc(pid, port);
            System.out.printf(Locale.ROOT, "clients: %d connected and joined in %.1f s (%d rooms of two)%n",
                    clients, connectSeconds, clients / 2);
            System.out.printf(Locale.ROOT, "server heap after GC: baseline %.1f MB, with %d idle clients %.1f MB"
                    + " -> %.2f KB per connection just after joining%n", baseline / 1e6, clients, idle / 1e6,
                    (idle - baseline) / 1024.0 / clients);
            if (settleSeconds > 0) {
                // Connection state recovery keeps each socket's recent events (joined, peer-joined) for ping interval
                // + ping timeout; what an idle connection really costs is measured once they have aged out.
                Thread.sleep(TimeUnit.SECONDS.toMillis(settleSeconds));
                long settled = serverHeapAfterGc(pid, port);
                System.out.printf(Locale.ROOT, "server heap after GC, %d s later: %.1f MB -> %.2f KB per idle"
                        + " connection%n", settleSeconds, settled / 1e6, (settled - baseline) / 1024.0 / clients);
            }

            // steady phase: every client relays --client-rate offers per second to its partner
            // not measured: the JIT compiles the relay path meanwhile (its threads compete with both sides)
            measure(load, server, periodNanos(clientRate), warmupSeconds);
            RelayLoad.Window steady = measure(load, server, periodNanos(clientRate), seconds);
            System.out.printf(Locale.ROOT, "steady: %d clients x %s msg/s for %d s: relayed %.0f msg/s,"
                    + " latency p50 %s, p99 %s, p99.9 %s, max %.3f ms; server CPU %.1f us per message%n", clients,
                    fmtRate(clientRate), seconds, steady.rate(), ms(steady.p50()), ms(steady.p99()),
                    ms(steady.p999()), steady.max(), steady.cpuMicrosPerMessage());

            // ramp: raise the per-client rate until the server falls behind
            double best = sustained(steady) ? steady.rate() : 0;
            for (double perClient : new double[] {2, 4, 8, 16, 32}) {
                RelayLoad.Window r = measure(load, server, periodNanos(perClient), 5);
                boolean kept = sustained(r);
                System.out.printf(Locale.ROOT, "ramp: target %.0f msg/s -> relayed %.0f msg/s, p50 %s, p99 %s%s%n",
                        r.targetRate(), r.rate(), ms(r.p50()), ms(r.p99()), kept ? "" : "  (not sustained)");
                if (!kept || best == 0) {
                    break;
                }
                best = r.rate();
            }
            System.out.printf(Locale.ROOT, "highest sustained relay rate: %s (>= 95%% delivered with p99 < 50 ms)%n",
                    best > 0 ? String.format(Locale.ROOT, "%.0f msg/s", best) : "none (the steady phase missed it)");
            load.stop();
            printServerMetrics(port);
            System.out.printf(Locale.ROOT, "client-side failures %d%n", load.failures());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * Lectern and a peer (or Lectern alone), the same load in alternating rounds; each variant is one more Lectern
     * target with JVM options of its own, listed before the plain one (so its ratios to it and to the peer are shown).
     */
    private void compare(String peer, List<Variant> variants, int rounds) throws Exception {
        long period = periodNanos(clientRate);
        int rate = (int) Math.round(clients * 1e9 / period);
        System.out.printf(Locale.ROOT, "%d clients x %s offers/s in rooms of two (%d msg/s), one node each,"
                + " %d round(s) of %d s per target after %d s of warm-up; server heap %s; load average %s%n",
                clients, fmtRate(clientRate), rate, rounds, seconds, warmupSeconds, serverHeap,
                AvatarProxyBench.loadAverage());
        List<RelayTarget> targets = new ArrayList<>();
        EventLoopGroup group = EventLoops.newGroup(1, "bench-client");
        try {
            for (Variant v : variants) {
                targets.add(RelayTarget.lectern(v, 1, serverHeap, null, null));
            }
            targets.add(RelayTarget.lectern(1, serverHeap, null, null));
            if (peer != null) {
                targets.add(peer.equals("node") ? RelayTarget.node(1, null, null)
                        : RelayTarget.nettySocketIo(serverHeap));
            }
            List<PeerComparison.Side> sides = new ArrayList<>();
            for (RelayTarget t : targets) {
                RelayLoad load = new RelayLoad(t.name(), clients);
                long t0 = System.nanoTime();
                if (!load.connect(group, i -> t.port(0), 120)) {
                    t.printLogTails(20);
                    throw new IllegalStateException(t.name() + ": only " + load.readyCount() + " of " + clients
                            + " clients joined within 120 s (failures: " + load.failures() + ")");
                }
                System.out.printf(Locale.ROOT, "%s: %d clients connected and joined in %.1f s%n", t.name(), clients,
                        (System.nanoTime() - t0) / 1e9);
                sides.add(new PeerComparison.Side(t, load));
            }
            new PeerComparison(sides, null).run(List.of(rate), rounds, seconds, warmupSeconds);
            printServerMetrics(targets.get(0).port(0));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            for (RelayTarget t : targets) {
                t.close();
            }
        }
    }

    private static void printServerMetrics(int port) throws Exception {
        String metrics = scrape(port);
        System.out.printf(Locale.ROOT, "lectern: %s open signaling sessions, %s slow consumers disconnected%n",
                metric(metrics, "lectern_signaling_sessions"),
                metric(metrics, "lectern_signaling_slow_consumers_total"));
    }

    private static boolean sustained(RelayLoad.Window r) {
        return r.delivered() >= 0.95 && r.p99() < 50;
    }

    private static String fmtRate(double perClient) {
        return perClient == Math.rint(perClient) ? Long.toString((long) perClient) : Double.toString(perClient);
    }

    private static String ms(double value) {
        return LatencyHistogram.format(value);
    }

    /** Sends at {@code period} per client, lets the new rate settle for a second, then measures {@code secs}. */
    private static RelayLoad.Window measure(RelayLoad load, RelayTarget server, long period, int secs)
            throws InterruptedException {
        load.start(period);
        Thread.sleep(1000);
        return load.measure(secs, server::cpuTicks, null);
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
}

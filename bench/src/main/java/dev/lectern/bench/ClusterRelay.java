package dev.lectern.bench;

import dev.lectern.core.netty.EventLoops;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.function.LongSupplier;
import redis.clients.jedis.Jedis;

/**
 * Cross-node relay latency: two Lectern nodes as child JVMs in {@code cluster.mode: redis} on one Redis (a key prefix
 * of their own), N Socket.IO WebSocket clients in rooms of two with the two members of each room on different
 * nodes, so that every {@code offer} crosses Redis pub/sub. The clients together send {@code --rate} offers per
 * second; reported: achieved relay rate, p50/p99/p99.9/max latency from send to receipt and the CPU time the two
 * nodes spent per message, per rate step, and Redis's CPU time per message ({@code INFO cpu}: the whole Redis,
 * whatever else uses it).
 *
 * <pre>bin/bench ClusterRelay [--clients 1000] [--rates 5000,10000] [--seconds 20] [--warmup-seconds 15]
 *     [--redis redis://127.0.0.1:6379] [--local-rooms] [--peer node] [--rounds 5]
 *     [--variant NAME=JVM_OPTIONS]...</pre>
 *
 * <p>{@code --local-rooms} puts both members of each room on the same node (rooms alternate between the nodes): the
 * same two JVMs and load, with nothing crossing Redis, to tell the cost of the cross-node hop from the rest.
 *
 * <p>{@code --peer node} (or {@code --rounds N} alone) runs the same load, in the same run, against two Node.js
 * socket.io nodes over {@code @socket.io/redis-adapter} on the same Redis (channels under the run's prefix too), in
 * {@code --rounds} alternating windows of {@code --seconds} per rate: see {@link PeerComparison}. {@code --variant}
 * adds two more Lectern nodes with those JVM options (space-separated), target {@code lectern-NAME}, to the rounds,
 * e.g. {@code --variant noleak=-Dio.netty.leakDetection.level=disabled}: see {@link Variant}.
 */
public final class ClusterRelay {
    private ClusterRelay() {}

    public static void main(String[] args) throws Exception {
        int clients = 1000;
        List<Integer> rates = new ArrayList<>(List.of(5000));
        boolean localRooms = false;
        int seconds = 20;
        int warmup = 15;
        String redis = "redis://127.0.0.1:6379";
        String peer = null;
        int rounds = 0;
        List<Variant> variants = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--rates" -> {
                    rates.clear();
                    for (String r : args[++i].split(",")) {
                        rates.add(Integer.parseInt(r.trim()));
                    }
                }
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup-seconds" -> warmup = Integer.parseInt(args[++i]);
                case "--redis" -> redis = args[++i];
                case "--local-rooms" -> localRooms = true;
                case "--peer" -> peer = args[++i];
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--variant" -> variants.add(Variant.parse(args[++i]));
                default -> usage();
            }
        }
        if (peer != null && !peer.equals("node")) {
            usage();
        }
        if (clients % 2 != 0 || clients < 2) {
            throw new IllegalArgumentException("--clients must be even and >= 2");
        }
        run(clients, localRooms, rates, seconds, warmup, redis, peer, variants, rounds);
        System.exit(0);
    }

    private static void usage() {
        System.err.println("usage: ClusterRelay [--clients N] [--rates R1,R2] [--seconds S] [--warmup-seconds W]"
                + " [--redis URL] [--local-rooms] [--peer node] [--rounds N] [--variant NAME=JVM_OPTIONS]...");
        System.exit(64);
    }

    /**
     * Without a peer and {@code rounds} (0): Lectern alone, one window per rate; otherwise alternating rounds, 5 when
     * not given.
     */
    private static void run(int clients, boolean localRooms, List<Integer> rates, int seconds, int warmup,
            String redis, String peer, List<Variant> variants, int rounds) throws Exception {
        String prefix = "lectern-bench-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        URI u = URI.create(redis);
        List<RelayTarget> targets = new ArrayList<>();
        EventLoopGroup group = EventLoops.newGroup(1, "bench-client");
        try (Jedis jedis = new Jedis(u.getHost(), u.getPort() > 0 ? u.getPort() : 6379)) {
            LongSupplier redisCpu = () -> redisCpuMicros(jedis);
            for (Variant v : variants) { // each on a key prefix of its own: its nodes must not hear the others'
                targets.add(RelayTarget.lectern(v, 2, "512m", redis, prefix + v.name() + ":"));
            }
            targets.add(RelayTarget.lectern(2, "512m", redis, prefix));
            if (peer != null) {
                targets.add(RelayTarget.node(2, redis, prefix));
            }
            // the two members of room i/2 land on different nodes (with --local-rooms: on the same one, rooms
            // alternating)
            IntUnaryOperator node = i -> localRooms ? (i / 2) % 2 : i % 2;
            List<PeerComparison.Side> sides = new ArrayList<>();
            for (RelayTarget t : targets) {
                RelayLoad load = new RelayLoad(t.name(), clients);
                long t0 = System.nanoTime();
                if (!load.connect(group, i -> t.port(node.applyAsInt(i)), 120)) {
                    t.printLogTails(20); // what the nodes said, before their logs are deleted
                    throw new IllegalStateException(t.name() + ": only " + load.readyCount() + " of " + clients
                            + " clients joined within 120 s (failures: " + load.failures() + ")");
                }
                System.out.printf(Locale.ROOT, "%s: %d clients joined in %.1f s, %d rooms of two, %s%n", t.name(),
                        clients, (System.nanoTime() - t0) / 1e9, clients / 2, localRooms
                                ? "each on one node (--local-rooms: nothing crosses Redis)"
                                : "each split across two nodes (every relay crosses Redis)");
                sides.add(new PeerComparison.Side(t, load));
            }
            if (rounds > 0 || peer != null || !variants.isEmpty()) {
                int n = rounds > 0 ? rounds : 5;
                System.out.printf(Locale.ROOT, "%d round(s) of %d s per target and rate after %d s of warm-up;"
                        + " load average %s%n", n, seconds, warmup, AvatarProxyBench.loadAverage());
                new PeerComparison(sides, redisCpu).run(rates, n, seconds, warmup);
            } else {
                alone(sides.get(0), rates, seconds, warmup, localRooms, redisCpu);
            }
            RelayTarget lectern = targets.get(0);
            for (int n = 0; n < lectern.nodes(); n++) {
                String metrics = SignalingLoad.scrape(lectern.port(n));
                System.out.printf(Locale.ROOT, "lectern node%d: %s signaling sessions, %s slow consumers;%n", n,
                        SignalingLoad.metric(metrics, "lectern_signaling_sessions"),
                        SignalingLoad.metric(metrics, "lectern_signaling_slow_consumers_total"));
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            for (RelayTarget t : targets) {
                t.close();
            }
            try (Jedis jedis = new Jedis(u.getHost(), u.getPort() > 0 ? u.getPort() : 6379)) {
                for (String key : jedis.keys(prefix + "*")) {
                    jedis.del(key);
                }
            }
        }
    }

    /** Lectern alone: a window per rate, the first after the warm-up, the others after 3 s at their rate. */
    private static void alone(PeerComparison.Side side, List<Integer> rates, int seconds, int warmup,
            boolean localRooms, LongSupplier redisCpu) throws InterruptedException {
        RelayLoad load = side.load();
        boolean first = true;
        for (int rate : rates) {
            load.start((long) (1e9 * load.clients() / rate));
            // the first step also lets the JIT finish with the relay path: its compiler threads would otherwise
            // share the two cores with the measurement
            if (first) {
                PeerComparison.warmUp(side.name(), side.target(), warmup);
            } else {
                Thread.sleep(3000);
            }
            first = false;
            long jit = side.target().jitTicks();
            RelayLoad.Window r = load.measure(seconds, side.target()::cpuTicks, redisCpu);
            jit = side.target().jitTicks() - jit;
            System.out.printf(Locale.ROOT, "target %d msg/s for %d s: relayed %.0f msg/s %s,"
                    + " latency p50 %s, p99 %s, p99.9 %s, max %.3f ms;"
                    + " the two nodes' CPU %.1f us per message%s, Redis's %.1f us%n",
                    rate, seconds, r.rate(), localRooms ? "within nodes" : "across nodes",
                    LatencyHistogram.format(r.p50()), LatencyHistogram.format(r.p99()),
                    LatencyHistogram.format(r.p999()), r.max(), r.cpuMicrosPerMessage(),
                    PeerComparison.jitNote(jit, r, seconds), r.redisMicrosPerMessage());
        }
        load.stop();
        System.out.printf(Locale.ROOT, "client-side failures: %d%n", load.failures());
    }

    /**
     * Redis's CPU time so far (user + system, microseconds) from {@code INFO cpu}: of the whole server, so whatever
     * else uses this Redis during the run is counted too.
     */
    static long redisCpuMicros(Jedis jedis) {
        double seconds = 0;
        for (String line : jedis.info("cpu").split("\r?\n")) {
            if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
                seconds += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return (long) (seconds * 1e6);
    }
}

package dev.lectern.bench;

import dev.lectern.core.netty.EventLoops;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.Jedis;

/**
 * Cross-node relay latency: two Lectern nodes as child JVMs in {@code cluster.mode: redis} on one Redis (a key prefix
 * of their own), N Socket.IO WebSocket clients in rooms of two with the two members of each room on different
 * nodes, so that every {@code offer} crosses Redis pub/sub. The clients together send {@code --rate} offers per
 * second; reported: achieved relay rate, p50/p99/p99.9/max latency from send to receipt and the CPU time the two
 * nodes spent per message, per rate step.
 *
 * <pre>bin/bench ClusterRelay [--clients 1000] [--rates 5000,10000] [--seconds 20] [--warmup-seconds 15]
 *     [--redis redis://127.0.0.1:6379] [--local-rooms]</pre>
 *
 * <p>{@code --local-rooms} puts both members of each room on the same node (rooms alternate between the nodes): the
 * same two JVMs and load, with nothing crossing Redis, to tell the cost of the cross-node hop from the rest.
 */
public final class ClusterRelay {
    private final int clients;
    private final LatencyHistogram histogram = new LatencyHistogram();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final CountDownLatch joined;
    private volatile long periodNanos = TimeUnit.SECONDS.toNanos(1);
    private volatile boolean sending;
    private final boolean localRooms;

    private ClusterRelay(int clients, boolean localRooms) {
        this.clients = clients;
        this.localRooms = localRooms;
        this.joined = new CountDownLatch(clients);
    }

    public static void main(String[] args) throws Exception {
        int clients = 1000;
        List<Integer> rates = new ArrayList<>(List.of(5000));
        boolean localRooms = false;
        int seconds = 20;
        int warmup = 15;
        String redis = "redis://127.0.0.1:6379";
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
                default -> {
                    System.err.println("usage: ClusterRelay [--clients N] [--rates R1,R2] [--seconds S]"
                            + " [--warmup-seconds W] [--redis URL] [--local-rooms]");
                    System.exit(64);
                }
            }
        }
        if (clients % 2 != 0 || clients < 2) {
            throw new IllegalArgumentException("--clients must be even and >= 2");
        }
        new ClusterRelay(clients, localRooms).run(rates, seconds, warmup, redis);
        System.exit(0);
    }

    private void run(List<Integer> rates, int seconds, int warmup, String redis) throws Exception {
        String prefix = "lectern-bench-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        int[] ports = {freePort(), freePort()};
        List<Process> nodes = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        EventLoopGroup group = EventLoops.newGroup(1, "bench-client");
        try {
            for (int n = 0; n < 2; n++) {
                Path log = Files.createTempFile("lectern-bench-node" + n, ".log");
                logs.add(log);
                nodes.add(startNode("node" + n, ports[n], redis, prefix, log));
            }
            for (int n = 0; n < 2; n++) {
                SignalingLoad.awaitPort(ports[n], nodes.get(n), logs.get(n));
            }
            long t0 = System.nanoTime();
            connectAll(group, ports);
            if (!joined.await(120, TimeUnit.SECONDS)) {
                for (Path log : logs) { // what the nodes said, before their logs are deleted
                    List<String> lines = Files.readAllLines(log);
                    System.err.println("--- " + log + " (last 20 lines)");
                    lines.subList(Math.max(0, lines.size() - 20), lines.size()).forEach(System.err::println);
                }
                throw new IllegalStateException("only " + (clients - joined.getCount()) + " of " + clients
                        + " clients joined within 120 s (failures: " + failures.get() + ")");
            }
            System.out.printf(Locale.ROOT, "clients: %d joined in %.1f s, %d rooms of two, %s%n", clients,
                    (System.nanoTime() - t0) / 1e9, clients / 2, localRooms
                            ? "each on one node (--local-rooms: nothing crosses Redis)"
                            : "each split across two nodes (every relay crosses Redis)");
            sending = true;
            boolean first = true;
            for (int rate : rates) {
                periodNanos = (long) (1e9 * clients / rate);
                // the first step also lets the JIT finish with the relay path: its compiler threads would otherwise
                // share the two cores with the measurement
                measure(first ? warmup : 3, nodes);
                first = false;
                double[] r = measure(seconds, nodes);
                System.out.printf(Locale.ROOT, "target %d msg/s for %d s: relayed %.0f msg/s %s,"
                        + " latency p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms;"
                        + " the two nodes' CPU %.1f us per message%n",
                        rate, seconds, r[0], localRooms ? "within nodes" : "across nodes", r[1], r[2], r[3], r[4],
                        r[5]);
            }
            sending = false;
            for (int n = 0; n < 2; n++) {
                String metrics = SignalingLoad.scrape(ports[n]);
                System.out.printf(Locale.ROOT, "node%d: %s signaling sessions, %s slow consumers;%n", n,
                        SignalingLoad.metric(metrics, "lectern_signaling_sessions"),
                        SignalingLoad.metric(metrics, "lectern_signaling_slow_consumers_total"));
            }
            System.out.printf(Locale.ROOT, "client-side failures: %d%n", failures.get());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            for (Process p : nodes) {
                p.destroy();
            }
            for (Process p : nodes) {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            for (Path log : logs) {
                Files.deleteIfExists(log);
            }
            URI u = URI.create(redis);
            try (Jedis jedis = new Jedis(u.getHost(), u.getPort() > 0 ? u.getPort() : 6379)) {
                for (String key : jedis.keys(prefix + "*")) {
                    jedis.del(key);
                }
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Process startNode(String nodeId, int port, String redis, String prefix, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ServerJvm.command("512m", "dev.lectern.server.Main",
                "--config", Path.of("config/lectern.yaml").toAbsolutePath().toString()));
        pb.environment().keySet().removeIf(k -> k.startsWith("LECTERN_"));
        System.getenv().forEach((k, v) -> { // BENCH_NODE_LECTERN_X=v sets LECTERN_X=v on both nodes
            if (k.startsWith("BENCH_NODE_LECTERN_")) {
                pb.environment().put(k.substring("BENCH_NODE_".length()), v);
            }
        });
        pb.environment().put("LECTERN_HTTP__HOST", "127.0.0.1");
        pb.environment().put("LECTERN_HTTP__PORT", Integer.toString(port));
        pb.environment().put("LECTERN_SIGNALING__PORT", Integer.toString(port));
        pb.environment().put("LECTERN_SIGNALING__DEV_MODE", "true");
        pb.environment().put("LECTERN_STORAGE__REDIS__URL", redis);
        pb.environment().put("LECTERN_STORAGE__REDIS__KEY_PREFIX", prefix);
        pb.environment().put("LECTERN_CLUSTER__MODE", "redis");
        pb.environment().put("LECTERN_CLUSTER__NODE_ID", nodeId);
        pb.environment().put("LECTERN_STORAGE__DATA_DIR", TempDirs.create("lectern-bench-data").toString());
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    /**
     * Rate, p50, p99, p99.9 and max (ms) over a window of {@code secs} seconds, and the CPU time both nodes used in
     * it per message received ({@code utime+stime} from {@code /proc}, JIT and GC threads included): a figure that a
     * busy machine moves far less than the latencies.
     */
    private double[] measure(int secs, List<Process> nodes) throws InterruptedException {
        List<Long> pids = nodes.stream().map(Process::pid).toList();
        histogram.reset();
        long r0 = received.get();
        long c0 = AvatarProxyBench.cpuTicks(pids);
        long t0 = System.nanoTime();
        Thread.sleep(secs * 1000L);
        long messages = received.get() - r0;
        double rate = messages / ((System.nanoTime() - t0) / 1e9);
        double cpuMicros = (AvatarProxyBench.cpuTicks(pids) - c0) * 1e6 / AvatarProxyBench.CLOCK_TICKS
                / Math.max(1, messages);
        LatencyHistogram.Snapshot snap = histogram.snapshot();
        return new double[] {rate, snap.millis(0.50), snap.millis(0.99), snap.millis(0.999), snap.maxMillis(),
                cpuMicros};
    }

    private void connectAll(EventLoopGroup group, int[] ports) throws Exception {
        // the two members of room i/2 land on different nodes (with --local-rooms: on the same one, rooms alternating)
        SocketIoClients.connectAll(group, clients, i -> ports[localRooms ? (i / 2) % 2 : i % 2], RelayClient::new,
                failures);
    }

    /** One Socket.IO client: CONNECT, join, wait for its partner on the other node, then relay offers to it. */
    private final class RelayClient extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final int index;
        private final Semaphore inFlight;
        private final String room;
        private boolean ready;

        RelayClient(int index, Semaphore inFlight) {
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
            if (s.startsWith("42[\"joined\"") || s.startsWith("42[\"peer-joined\"")) {
                if (s.startsWith("42[\"joined\"")) {
                    inFlight.release();
                }
                if (!ready && (s.startsWith("42[\"peer-joined\"") || !s.contains("\"peers\":[]"))) {
                    ready = true; // the partner is in the room (on the other node): start relaying
                    joined.countDown();
                    long first = ThreadLocalRandom.current().nextLong(periodNanos);
                    ctx.executor().schedule(() -> tick(ctx), first, TimeUnit.NANOSECONDS);
                }
            } else if (s.startsWith("42[\"offer\"")) {
                long nanos = SocketIoClients.offerAgeNanos(s);
                if (nanos >= 0) {
                    received.incrementAndGet();
                    histogram.record(nanos);
                }
            } else if (s.startsWith("44") || s.startsWith("42[\"error\"")) {
                failures.incrementAndGet();
            }
        }

        private void tick(ChannelHandlerContext ctx) {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (sending) {
                ctx.writeAndFlush(new TextWebSocketFrame(SocketIoClients.offer(room)));
            }
            ctx.executor().schedule(() -> tick(ctx), periodNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.incrementAndGet();
            ctx.close();
        }
    }
}

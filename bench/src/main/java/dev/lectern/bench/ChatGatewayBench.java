package dev.lectern.bench;

import dev.lectern.bench.netty.FakeModelUpstream;
import dev.lectern.bench.netty.SseStreamClientHandler;
import dev.lectern.core.netty.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gateway overhead of the chat stream at N concurrent streams, with the server in its own JVM
 * ({@link ChatGatewayNode}) and the load (a fake OpenAI-compatible upstream and N SSE clients, each on one Netty event
 * loop) in this one, so that the figures are the gateway's and not the load generator's. Two figures per round:
 * <ul>
 *   <li><b>gateway</b>: the server's own {@code lectern.chat.gateway.latency}, from a model chunk arriving at Lectern to
 *   its SSE event being written to the client's socket (the definition), read as the difference of its
 *   Prometheus histogram before and after the round (bucket upper bounds: conservative);</li>
 *   <li><b>end to end</b>: from the upstream writing a chunk to the client reading its event (two loopback hops and
 *   both load generators' queues included), measured exactly with the shared monotonic clock.</li>
 * </ul>
 * One warm-up round, then the measured round, on the same server.
 *
 * <p>{@code bin/bench ChatGatewayBench [streams=1000] [chunks=50] [intervalMillis=20]}; server JVM options from
 * {@code BENCH_SERVER_OPTS}.
 */
public final class ChatGatewayBench {
    private static final Pattern BUCKET =
            Pattern.compile("^lectern_chat_gateway_latency_seconds_bucket\\{.*le=\"([^\"]+)\".*\\}\\s+(\\S+)$");

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int chunks = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int intervalMillis = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        try (FakeModelUpstream upstream = new FakeModelUpstream(chunks, intervalMillis)) {
            Process node = startNode("http://127.0.0.1:" + upstream.port() + "/v1");
            EventLoopGroup clients = EventLoops.newGroup(1, "bench-sse-client");
            try {
                int port = awaitPort(node);
                System.out.printf(Locale.ROOT, "chat gateway: %d concurrent streams x %d chunks, one every %d ms"
                        + " (%.0f chunks/s in all); server in its own JVM%n", streams, chunks, intervalMillis,
                        streams * 1000.0 / intervalMillis);
                round("warm-up", clients, port, Math.min(streams, 200));
                round("measured", clients, port, streams);
            } finally {
                clients.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                node.getOutputStream().close();
                if (!node.waitFor(20, TimeUnit.SECONDS)) {
                    node.destroyForcibly();
                }
            }
        }
        System.exit(0);
    }

    private static void round(String name, EventLoopGroup group, int port, int streams) throws Exception {
        LatencyHistogram histogram = new LatencyHistogram();
        CountDownLatch answered = new CountDownLatch(streams);
        CountDownLatch firstEnd = new CountDownLatch(1);
        AtomicLong completed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        CountDownLatch ended = new CountDownLatch(streams);
        Semaphore connecting = new Semaphore(128);
        long start = System.nanoTime();
        Bootstrap b = new Bootstrap().group(group).channel(EventLoops.clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
        for (int i = 0; i < streams; i++) {
            connecting.acquire();
            String token = name + "-" + i;
            SseStreamClientHandler.Listener listener = new SseStreamClientHandler.Listener() {
                @Override
                public void status(int code) {
                    connecting.release();
                    answered.countDown();
                    if (code != 200) {
                        failed.incrementAndGet();
                    }
                }

                @Override
                public void completed() {
                    completed.incrementAndGet();
                }

                @Override
                public void ended() {
                    firstEnd.countDown();
                    ended.countDown();
                }
            };
            b.handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpClientCodec(),
                            new SseStreamClientHandler(token, histogram::record, listener));
                }
            }).connect("127.0.0.1", port).addListener(f -> {
                if (!f.isSuccess()) {
                    connecting.release();
                    answered.countDown();
                    firstEnd.countDown();
                    failed.incrementAndGet();
                    ended.countDown();
                }
            });
        }
        // the steady state: from a second after every stream has its answer started until the first one ends (the
        // start-up storm of logins, stored messages and upstream connections is not what the gateway adds per chunk)
        answered.await(5, TimeUnit.MINUTES);
        Thread.sleep(1000);
        TreeMap<Double, Double> before = gatewayBuckets(port);
        histogram.reset();
        long steadyStart = System.nanoTime();
        firstEnd.await(10, TimeUnit.MINUTES);
        LatencyHistogram.Snapshot snap = histogram.snapshot();
        TreeMap<Double, Double> after = gatewayBuckets(port);
        long steadyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - steadyStart);
        if (!ended.await(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException(ended.getCount() + " streams did not end");
        }
        long wallMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        TreeMap<Double, Double> delta = new TreeMap<>();
        after.forEach((le, c) -> delta.put(le, c - before.getOrDefault(le, 0.0)));
        double samples = delta.isEmpty() ? 0 : delta.lastEntry().getValue();
        Double underMilli = delta.get(0.001);
        System.out.printf(Locale.ROOT, "%-8s streams=%d completed=%d failed=%d wall=%d ms; steady window %d ms,"
                + " %d events (%.0f/s)%n", name, streams, completed.get(), failed.get(), wallMillis, steadyMillis,
                snap.total(), snap.total() * 1000.0 / Math.max(1, steadyMillis));
        System.out.printf(Locale.ROOT, "  gateway (server, chunk in -> event written): %.0f samples, p50 <= %s,"
                + " p99 <= %s, %.2f%% within 1 ms%n", samples, ms(quantile(delta, 0.50)), ms(quantile(delta, 0.99)),
                underMilli == null || samples == 0 ? Double.NaN : 100.0 * underMilli / samples);
        System.out.printf(Locale.ROOT, "  end to end (upstream write -> client read): p50 %s, p99 %s, p99.9 %s,"
                + " max %.3f ms%n", snap.format(0.50), snap.format(0.99), snap.format(0.999), snap.maxMillis());
    }

    private static String ms(double seconds) {
        return Double.isNaN(seconds) ? "?" : String.format(Locale.ROOT, "%.3f ms", seconds * 1000);
    }

    /** The upper bound of the cumulative bucket that holds quantile {@code q}. */
    private static double quantile(TreeMap<Double, Double> cumulative, double q) {
        if (cumulative.isEmpty() || cumulative.lastEntry().getValue() <= 0) {
            return Double.NaN;
        }
        double rank = q * cumulative.lastEntry().getValue();
        for (var e : cumulative.entrySet()) {
            if (e.getValue() >= rank) {
                return e.getKey();
            }
        }
        return Double.NaN;
    }

    private static TreeMap<Double, Double> gatewayBuckets(int port) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        TreeMap<Double, Double> buckets = new TreeMap<>();
        for (String line : metrics.split("\n")) {
            Matcher m = BUCKET.matcher(line);
            if (m.matches()) {
                double le = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
                buckets.put(le, Double.parseDouble(m.group(2)));
            }
        }
        return buckets;
    }

    private static Process startNode(String upstreamBase) throws Exception {
        List<String> command = ServerJvm.command("1g", ChatGatewayNode.class.getName(), upstreamBase);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Reads the node's {@code PORT n} line, then keeps draining its output. */
    static int awaitPort(Process node) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("PORT ")) {
                int port = Integer.parseInt(line.substring(5).trim());
                // BENCH_NODE_LOG=<prefix>: the node's warnings and errors go to <prefix>-<port>.log (else dropped)
                String prefix = System.getenv("BENCH_NODE_LOG");
                Thread drain = new Thread(() -> {
                    try (java.io.PrintWriter log = prefix == null || prefix.isBlank() ? null
                            : new java.io.PrintWriter(java.nio.file.Files.newBufferedWriter(
                                    java.nio.file.Path.of(prefix + "-" + port + ".log")), true)) {
                        String l;
                        while ((l = out.readLine()) != null) { // keep the pipe from filling up
                            if (log != null && (l.contains("WARN") || l.contains("ERROR"))) {
                                log.println(l);
                            }
                        }
                    } catch (java.io.IOException ignored) {
                        // the node exited
                    }
                }, "bench-node-output");
                drain.setDaemon(true);
                drain.start();
                return port;
            }
        }
        throw new IllegalStateException("the server node exited before listening (exit " + node.waitFor() + ")");
    }
}

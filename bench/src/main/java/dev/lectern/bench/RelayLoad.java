package dev.lectern.bench;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;
import java.util.function.LongSupplier;

/**
 * The generator's side of one signaling target: N Socket.IO WebSocket clients in rooms of two ({@code room-<i/2>}),
 * each of which, once its partner is in the room, relays an {@code offer} carrying its send time to it at a fixed
 * period while sending is on; the latencies from send to receipt and the count of offers received.
 */
final class RelayLoad {
    private final String name;
    private final int clients;
    private final LatencyHistogram histogram = new LatencyHistogram();
    /** With {@code BENCH_TAIL_LOG=DIR}: each window's slow messages go to a file there (see {@link TailLog}). */
    private final TailLog tail = TailLog.fromEnvironment();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final CountDownLatch ready;
    private final List<Client> readyClients = new CopyOnWriteArrayList<>();
    private volatile long periodNanos = TimeUnit.SECONDS.toNanos(1);
    /** Each start of sending is a generation; a tick of an older one stops its client's sending. */
    private final AtomicLong generation = new AtomicLong();

    RelayLoad(String name, int clients) {
        if (clients % 2 != 0 || clients < 2) {
            throw new IllegalArgumentException("--clients must be even and >= 2");
        }
        this.name = name;
        this.clients = clients;
        this.ready = new CountDownLatch(clients);
    }

    /**
     * The figures of one measured window: rates in msg/s, latencies in ms (infinite beyond the histogram's range),
     * CPU in microseconds per message.
     */
    record Window(double targetRate, double rate, double p50, double p99, double p999, double max,
            double cpuMicrosPerMessage, double redisMicrosPerMessage) {
        double delivered() {
            return rate / targetRate;
        }
    }

    String name() {
        return name;
    }

    int clients() {
        return clients;
    }

    long failures() {
        return failures.get();
    }

    /**
     * Connects every client, client {@code i} to port {@code port(i)}, and waits until each has its partner in the
     * room; false when that took longer than {@code timeoutSeconds}.
     */
    boolean connect(EventLoopGroup group, IntUnaryOperator port, long timeoutSeconds) throws InterruptedException {
        SocketIoClients.connectAll(group, clients, port, Client::new, failures);
        return ready.await(timeoutSeconds, TimeUnit.SECONDS);
    }

    long readyCount() {
        return clients - ready.getCount();
    }

    /** Every client relays one offer per {@code periodNanos}, starting at a random point of the first period. */
    void start(long periodNanos) {
        this.periodNanos = periodNanos;
        long g = generation.incrementAndGet();
        for (Client c : readyClients) {
            c.start(g, periodNanos);
        }
    }

    /** Offers per second all clients send together at the current period. */
    double targetRate() {
        return clients * 1e9 / periodNanos;
    }

    void stop() {
        generation.incrementAndGet();
    }

    /**
     * Measures {@code seconds} of the load as it runs: the relay rate, latency percentiles, and {@code cpuTicks}
     * (jiffies of the target's processes) and {@code redisCpuMicros} (null, or Redis's CPU in microseconds) per
     * message received: figures that a busy machine moves far less than the latencies.
     */
    Window measure(int seconds, LongSupplier cpuTicks, LongSupplier redisCpuMicros) throws InterruptedException {
        histogram.reset();
        tail.reset();
        long r0 = received.get();
        long c0 = cpuTicks.getAsLong();
        long redis0 = redisCpuMicros == null ? 0 : redisCpuMicros.getAsLong();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long messages = received.get() - r0;
        double elapsed = (System.nanoTime() - t0) / 1e9;
        double cpu = (cpuTicks.getAsLong() - c0) * 1e6 / AvatarProxyBench.CLOCK_TICKS / Math.max(1, messages);
        double redis = redisCpuMicros == null ? Double.NaN
                : (redisCpuMicros.getAsLong() - redis0) / (double) Math.max(1, messages);
        LatencyHistogram.Snapshot snap = histogram.snapshot();
        tail.write(name + "-" + Math.round(targetRate()));
        return new Window(targetRate(), messages / elapsed, millis(snap, 0.50), millis(snap, 0.99),
                millis(snap, 0.999), snap.maxMillis(), cpu, redis);
    }

    /** A percentile in milliseconds; beyond the histogram's range it is infinite, so that no median hides it. */
    private static double millis(LatencyHistogram.Snapshot snap, double q) {
        double ms = snap.millis(q);
        return ms >= LatencyHistogram.RANGE_MILLIS ? Double.POSITIVE_INFINITY : ms;
    }

    /** One client: CONNECT with a dev user id, join, wait for its partner (here or on another node), then relay. */
    private final class Client extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final int index;
        private final Semaphore inFlight;
        private final String room;
        private ChannelHandlerContext ctx;
        private boolean joined;
        private boolean partner;

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
            if (s.startsWith("42[\"offer\"")) {
                long nanos = SocketIoClients.offerAgeNanos(s);
                if (nanos >= 0) {
                    received.incrementAndGet();
                    histogram.record(nanos);
                    tail.record(nanos, index);
                }
            } else if (s.startsWith("42[\"joined\"")) {
                if (!joined) {
                    joined = true;
                    inFlight.release();
                }
                if (!s.contains("\"peers\":[]")) {
                    partnerHere(ctx);
                }
            } else if (s.startsWith("42[\"peer-joined\"")) {
                partnerHere(ctx);
            } else if (s.startsWith("44") || s.startsWith("42[\"error\"")) {
                failures.incrementAndGet();
            }
        }

        private void partnerHere(ChannelHandlerContext ctx) {
            if (partner) {
                return;
            }
            partner = true;
            this.ctx = ctx;
            readyClients.add(this); // sends from the next start on
            ready.countDown();
        }

        void start(long g, long period) {
            ChannelHandlerContext c = ctx;
            c.executor().schedule(() -> tick(g, period), ThreadLocalRandom.current().nextLong(period),
                    TimeUnit.NANOSECONDS);
        }

        private void tick(long g, long period) {
            if (!ctx.channel().isActive() || generation.get() != g) {
                return;
            }
            ctx.writeAndFlush(new TextWebSocketFrame(SocketIoClients.offer(room)));
            ctx.executor().schedule(() -> tick(g, period), period, TimeUnit.NANOSECONDS);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.incrementAndGet();
            ctx.close();
        }
    }
}

package dev.lectern.media.proxy.internal;

import dev.lectern.core.netty.EventLoops;
import dev.lectern.core.netty.PipelineNames;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to avatar instances, kept per event loop and port so that a proxied request's two legs
 * always share one event loop (no locks, no hand-offs). Connections go only to 127.0.0.1. Every method except
 * {@link #close()} must be called on the event loop it names.
 */
public final class BackendPool implements AutoCloseable {
    /** An idle pooled connection is closed after this long; avatar servers (aiohttp) keep theirs for 75 s. */
    static final long IDLE_MILLIS = 15_000;

    private static final InetAddress LOOPBACK;

    static {
        try {
            LOOPBACK = InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int maxIdlePerPort;
    private final int connectTimeoutMillis;
    /** How often each loop's sweeper looks for timed-out exchanges and idle connections. */
    static final long SWEEP_MILLIS = 50;

    private final Map<EventLoop, Loop> loops = new ConcurrentHashMap<>();
    private final ChannelGroup all = new DefaultChannelGroup("avatar-backends", GlobalEventExecutor.INSTANCE);
    private volatile boolean closed;

    public BackendPool(int maxIdlePerPort, long connectTimeoutMillis) {
        this.maxIdlePerPort = maxIdlePerPort;
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis);
    }

    /**
     * An idle connection to 127.0.0.1:port on this loop, taken at once, or null when there is none. The pool of a loop
     * is touched only on that loop, so this takes no lock and schedules nothing: the common case of a proxied request
     * costs a deque poll, not a promise and a task.
     */
    Channel pollIdle(Loop loop, int port) {
        ArrayDeque<Channel> deque = loop.idle.get(port);
        if (deque == null) {
            return null;
        }
        Channel ch;
        while ((ch = deque.pollFirst()) != null) {
            if (ch.isActive() && handler(ch) != null) {
                return ch;
            }
            ch.close();
        }
        return null;
    }

    /** A new connection to 127.0.0.1:port on this loop ({@link #pollIdle} first); completes once connected. */
    public Future<Channel> connect(EventLoop loop, int port) {
        Promise<Channel> promise = loop.newPromise();
        if (closed) {
            return promise.setFailure(new IllegalStateException("proxy is shut down"));
        }
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(EventLoops.clientChannel())
                .option(ChannelOption.AUTO_READ, true) // the exchange turns it off while the browser is slow
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(PipelineNames.PROXY_BACKEND, new ProxyBackendHandler());
                    }
                });
        ChannelFuture f = b.connect(new InetSocketAddress(LOOPBACK, port));
        f.addListener(done -> {
            if (done.isSuccess()) {
                all.add(f.channel());
                // once per connection: a pooled connection that the avatar closes leaves the pool
                f.channel().closeFuture().addListener(closed -> deque(loop, port).remove(f.channel()));
                promise.trySuccess(f.channel());
            } else {
                promise.tryFailure(done.cause());
            }
        });
        return promise;
    }

    /** Puts a connection whose exchange ended cleanly back for reuse, or closes it when the pool is full. */
    public void release(Channel ch, int port) {
        ProxyBackendHandler h = handler(ch);
        ArrayDeque<Channel> deque = deque(ch.eventLoop(), port);
        if (closed || h == null || !ch.isActive() || deque.size() >= maxIdlePerPort) {
            ch.close();
            return;
        }
        ch.config().setAutoRead(true); // reading while idle notices an avatar that talks out of turn or hangs up
        deque.addFirst(ch);
        h.parkInPool(System.nanoTime());
    }

    /** This loop's part of the pool, for callers that keep it (one look-up per connection, not per request). */
    Loop loop(EventLoop loop) {
        return state(loop);
    }

    private void sweep(Loop state) {
        long now = System.nanoTime();
        ProxyFrontendHandler e = state.watchedHead;
        while (e != null) {
            ProxyFrontendHandler next = e.watchNext;
            if (now - e.deadlineNanos() >= 0) {
                state.unwatch(e);
                e.timedOut();
            }
            e = next;
        }
        long idleNanos = TimeUnit.MILLISECONDS.toNanos(IDLE_MILLIS);
        for (ArrayDeque<Channel> deque : state.idle.values()) {
            Channel oldest;
            while ((oldest = deque.peekLast()) != null) {
                ProxyBackendHandler h = handler(oldest);
                if (h != null && now - h.parkedAtNanos() < idleNanos) {
                    break;
                }
                deque.pollLast();
                oldest.close();
            }
        }
    }

    private ArrayDeque<Channel> deque(EventLoop loop, int port) {
        Loop s = state(loop);
        ArrayDeque<Channel> d = s.idle.get(port);
        if (d == null) {
            d = new ArrayDeque<>();
            s.idle.put(port, d);
        }
        return d;
    }

    private Loop state(EventLoop loop) {
        Loop s = loops.get(loop);
        if (s == null) {
            s = new Loop();
            loops.put(loop, s);
            Loop created = s;
            s.sweeper = loop.scheduleWithFixedDelay(() -> sweep(created), SWEEP_MILLIS, SWEEP_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
        return s;
    }

    /** What one event loop owns; touched only on that loop, so without locks. */
    static final class Loop {
        final IntObjectMap<ArrayDeque<Channel>> idle = new IntObjectHashMap<>();
        /** The watched exchanges, linked through their own fields: no hashing and no node per request. */
        ProxyFrontendHandler watchedHead;
        ScheduledFuture<?> sweeper;

        /**
         * Fails the exchange with {@code timedOut()} once {@code deadlineNanos} has passed, unless {@link #unwatch}
         * came first. One sweeper task per loop does this for every exchange: a timer per request, scheduled and
         * cancelled tens of thousands of times a second, costs the event loop far more than a scan of the few in flight.
         */
        void watch(ProxyFrontendHandler exchange) {
            exchange.watchPrev = null;
            exchange.watchNext = watchedHead;
            if (watchedHead != null) {
                watchedHead.watchPrev = exchange;
            }
            watchedHead = exchange;
        }

        /** Stops watching an exchange that {@link #watch} was given (once). */
        void unwatch(ProxyFrontendHandler exchange) {
            ProxyFrontendHandler prev = exchange.watchPrev;
            ProxyFrontendHandler next = exchange.watchNext;
            if (prev == null) {
                watchedHead = next;
            } else {
                prev.watchNext = next;
            }
            if (next != null) {
                next.watchPrev = prev;
            }
            exchange.watchPrev = null;
            exchange.watchNext = null;
        }
    }

    /** The connection's avatar-side handler, the last in its pipeline; null once the pipeline is torn down. */
    static ProxyBackendHandler handler(Channel ch) {
        return ch.pipeline().last() instanceof ProxyBackendHandler h ? h : null;
    }

    /** Closes every backend connection, idle or busy. */
    @Override
    public void close() {
        closed = true;
        for (Loop s : loops.values()) {
            s.sweeper.cancel(false);
        }
        all.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}

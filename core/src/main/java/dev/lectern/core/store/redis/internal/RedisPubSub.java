package dev.lectern.core.store.redis.internal;

import dev.lectern.core.netty.EventLoops;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.core.netty.HandOff;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis pub/sub, in RESP2 on one Netty event loop: a publishing connection and a subscribed connection, both opened on
 * the loop that is given, so that a room event sent by a socket on that loop reaches Redis, and one from Redis reaches
 * a socket on that loop, without a thread hop. The cluster bus runs one on a server event loop; the Redis ephemeral
 * store runs one on a thread of its own ({@link #onOwnThread}) for its {@code publish}/{@code subscribe}.
 *
 * <ul>
 *   <li>Publishing ({@link #publish}, on the loop only): a {@code PUBLISH} is encoded straight into a pooled buffer
 *       and written at once; the writes of one turn of the loop go out in one flush. Redis answers every
 *       {@code PUBLISH}; at most {@code maxPending} may be unanswered, beyond that (a slow or hung Redis) an event is
 *       refused. One connection, so Redis sees the events in the order of the calls.</li>
 *   <li>Subscribing ({@link #subscribe}, any thread): one listener per channel, called on the loop with each message
 *       in the order Redis sent them; the future completes when Redis has confirmed the subscription, so that a
 *       message published afterwards is delivered.</li>
 *   <li>Faults: each connection that breaks is reopened with a back-off (50 ms doubling to 2 s), the subscribed one
 *       with every channel that has a listener. A connection that has read nothing for a ping interval is pinged; one
 *       silent for three intervals is closed and reopened (a dead peer without a reset). Redis being up or down is
 *       told to the {@link StateListener}.</li>
 * </ul>
 */
public final class RedisPubSub {
    private static final Logger logger = LoggerFactory.getLogger(RedisPubSub.class);
    private static final long MIN_BACKOFF_MILLIS = 50;
    /** The longest wait between reconnection attempts (a node may see Redis again up to this much after another). */
    public static final long MAX_BACKOFF_MILLIS = 2000;
    private static final byte[] PUBLISH = "*3\r\n$7\r\nPUBLISH\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final ByteBuf MESSAGE = ascii("message");
    private static final ByteBuf SUBSCRIBE = ascii("subscribe");
    /** The largest reply read; a larger one closes the connection (it is opened again). */
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    /** A channel's messages; the payload is valid during the call only. */
    public interface Listener {
        void onMessage(ByteBuf payload);
    }

    /** Told on the loop when a connection to Redis opens or breaks. */
    public interface StateListener {
        /** Nothing to be told: the connections log their own losses and recoveries. */
        StateListener NONE = new StateListener() {
            @Override
            public void up() {}

            @Override
            public void down(String why) {}
        };

        void up();

        void down(String why);
    }

    /**
     * Told on the loop of each answer to a {@link #publish} (in the order of the calls) and of the publishing
     * connection breaking with some unanswered: a caller that keeps what it sent until Redis has taken it (the cluster
     * bus's outage buffer) learns here what to let go of and what to send again.
     */
    public interface PublishListener {
        PublishListener NONE = new PublishListener() {
            @Override
            public void answered(long receivers) {}

            @Override
            public void unanswered() {}
        };

        /** Redis answered the oldest unanswered PUBLISH: how many subscribers got it, -1 when it refused it. */
        void answered(long receivers);

        /** The publishing connection broke: no PUBLISH sent on it will be answered. */
        void unanswered();
    }

    /** The group of {@link #loop} when this pub/sub made it (it is stopped on close), else null. */
    private final EventLoopGroup ownGroup;
    private final EventLoop loop;
    private final RedisEndpoint endpoint;
    private final int maxPending;
    private final StateListener state;
    private PublishListener publishListener = PublishListener.NONE;
    private final SslContext ssl;
    private final AtomicLong refused = new AtomicLong();
    private final Leg publisher = new Leg("publish");
    private final Leg subscriber = new Leg("subscribe");
    // the loop's only:
    private final Map<String, Subscription> subscriptions = new HashMap<>();
    /** SUBSCRIBE commands sent on the current connection and not yet confirmed, per channel. */
    private final Map<String, Integer> unconfirmed = new HashMap<>();
    private int pending;
    /** PUBLISHes sent and answered on the current publishing connection (the loop's only). */
    private long publishesSent;
    private long publishesAnswered;
    /** Publishes whose caller waits for Redis's answer, in the order sent (the loop's only; usually empty). */
    private final ArrayDeque<Confirmation> confirmations = new ArrayDeque<>();
    /** Callers waiting for both connections to be open (the loop's only). */
    private final List<CompletableFuture<Void>> connectWaiters = new ArrayList<>();
    private boolean flushScheduled;
    private boolean closed;
    private volatile boolean connected;
    private final CompletableFuture<Void> firstConnected = new CompletableFuture<>();

    private record Subscription(Listener listener, CompletableFuture<Void> confirmed) {}

    private record Confirmation(long number, CompletableFuture<Void> answered) {}

    public RedisPubSub(EventLoop loop, RedisEndpoint endpoint, int maxPending, StateListener state) {
        this(null, loop, endpoint, maxPending, state);
    }

    /** A pub/sub on a one-thread event loop of its own (daemon), which {@link #close} stops and awaits. */
    public static RedisPubSub onOwnThread(String threadName, RedisEndpoint endpoint, int maxPending,
            StateListener state) {
        EventLoopGroup group = EventLoops.newGroup(1, threadName);
        try {
            return new RedisPubSub(group, group.next(), endpoint, maxPending, state);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    private RedisPubSub(EventLoopGroup ownGroup, EventLoop loop, RedisEndpoint endpoint, int maxPending,
            StateListener state) {
        this.ownGroup = ownGroup;
        this.loop = loop;
        this.endpoint = endpoint;
        this.maxPending = maxPending;
        this.state = state;
        try {
            this.ssl = endpoint.tls() ? SslContextBuilder.forClient().sslProvider(SslProvider.JDK).build() : null;
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for " + endpoint, e);
        }
    }

    /** Opens both connections (and keeps them open until {@link #close}). */
    public void start() {
        run(() -> {
            publisher.connect();
            subscriber.connect();
        });
    }

    /** Runs a task on the loop: at once when called there, else in submission order. False once the loop is gone. */
    public boolean run(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
            return true;
        }
        try {
            loop.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * Runs a task on the loop as {@link #run}, but called on another event loop it goes over with the other tasks that
     * loop hands to this one in the same turn ({@link HandOff}): one hand-over, and at most one wake-up of this loop,
     * for the room events of a whole turn. {@code onRefused} runs instead once the loop is gone.
     */
    public void runBatched(Runnable task, Runnable onRefused) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            HandOff.execute(loop, task, onRefused);
        }
    }

    /** Both connections are open. */
    public boolean connected() {
        return connected;
    }

    /**
     * Waits, off the loop, until both connections have been open once (true), or for at most {@code timeoutMillis}
     * (false): what a node publishes as it starts is otherwise refused while the connections are still opening.
     */
    public boolean awaitConnected(long timeoutMillis) {
        assert !loop.inEventLoop();
        try {
            firstConnected.get(timeoutMillis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Sets who is told of answers to PUBLISHes (on the loop, or before {@link #start}). */
    public void publishListener(PublishListener listener) {
        this.publishListener = listener;
    }

    /** Whether a {@link #publish} now would be sent (on the loop only): the connection is up and not behind. */
    public boolean writable() {
        return publisher.channel != null && pending < maxPending;
    }

    /** Events refused because the publishing connection was down or too far behind. */
    public long refused() {
        return refused.get();
    }

    /** PUBLISHes a message (on the loop only). False when it could not be sent: the connection is down or behind. */
    public boolean publish(String channel, String payload) {
        Channel ch = publishable();
        if (ch == null) {
            return false;
        }
        int channelBytes = ByteBufUtil.utf8Bytes(channel);
        int payloadBytes = ByteBufUtil.utf8Bytes(payload);
        ByteBuf out = ch.alloc().buffer(PUBLISH.length + 32 + channelBytes + payloadBytes);
        out.writeBytes(PUBLISH);
        bulk(out, channel, channelBytes);
        bulk(out, payload, payloadBytes);
        return sent(ch, out);
    }

    /**
     * PUBLISHes a message made of parts, as {@link #publish(String, String)}: {@code head}, then {@code number} in
     * decimal when it is not negative, then {@code body}, copied once, straight into the command's buffer (no string
     * is built): what a caller that numbers its messages on the loop and encodes them elsewhere needs.
     */
    public boolean publish(String channel, byte[] head, long number, byte[] body) {
        Channel ch = publishable();
        if (ch == null) {
            return false;
        }
        int channelBytes = ByteBufUtil.utf8Bytes(channel);
        int digits = number < 0 ? 0 : digits(number);
        int payloadBytes = head.length + digits + body.length;
        ByteBuf out = ch.alloc().buffer(PUBLISH.length + 32 + channelBytes + payloadBytes);
        out.writeBytes(PUBLISH);
        bulk(out, channel, channelBytes);
        out.writeByte('$');
        writeDecimal(out, payloadBytes);
        out.writeBytes(CRLF);
        out.writeBytes(head);
        if (number >= 0) {
            writeDecimal(out, number);
        }
        out.writeBytes(body);
        out.writeBytes(CRLF);
        return sent(ch, out);
    }

    /** The publishing connection, or null (counted as refused) when it is down or too far behind. */
    private Channel publishable() {
        assert loop.inEventLoop();
        Channel ch = publisher.channel;
        if (ch == null || pending >= maxPending) {
            refused.incrementAndGet();
            return null;
        }
        return ch;
    }

    private boolean sent(Channel ch, ByteBuf out) {
        ch.write(out, ch.voidPromise());
        pending++;
        publishesSent++;
        if (!flushScheduled) {
            flushScheduled = true; // after the rest of this turn's events: one flush for all of them
            loop.execute(this::flushPublishes);
        }
        return true;
    }

    private static int digits(long n) {
        int d = 1;
        for (long v = n; v >= 10; v /= 10) {
            d++;
        }
        return d;
    }

    /** A non-negative number in decimal ASCII, without a string. */
    private static void writeDecimal(ByteBuf out, long n) {
        int d = digits(n);
        int at = out.writerIndex();
        out.ensureWritable(d);
        long v = n;
        for (int i = d - 1; i >= 0; i--) {
            out.setByte(at + i, (int) ('0' + v % 10));
            v /= 10;
        }
        out.writerIndex(at + d);
    }

    private void flushPublishes() {
        flushScheduled = false;
        Channel ch = publisher.channel;
        if (ch != null) {
            ch.flush();
        }
    }

    /**
     * PUBLISHes a message from any thread; completes when Redis has answered it, exceptionally when it could not be
     * sent (the connection is down or behind), Redis refused it, or the connection broke before the answer.
     */
    public CompletableFuture<Void> publishConfirmed(String channel, String payload) {
        CompletableFuture<Void> answered = new CompletableFuture<>();
        if (!run(() -> {
            if (closed) {
                answered.completeExceptionally(closedException());
            } else if (publish(channel, payload)) {
                confirmations.add(new Confirmation(publishesSent, answered));
            } else {
                answered.completeExceptionally(new IllegalStateException("connection down or behind"));
            }
        })) {
            answered.completeExceptionally(closedException());
        }
        return answered;
    }

    /**
     * Completes (from any thread) once both connections are open; a connection waiting out its back-off is tried
     * again at once, so that a caller after an outage need not wait for the next scheduled attempt.
     */
    public CompletableFuture<Void> whenConnected() {
        CompletableFuture<Void> open = new CompletableFuture<>();
        if (!run(() -> {
            if (closed) {
                open.completeExceptionally(closedException());
            } else if (connected) {
                open.complete(null);
            } else {
                connectWaiters.add(open);
                publisher.connect();
                subscriber.connect();
            }
        })) {
            open.completeExceptionally(closedException());
        }
        return open;
    }

    private static IllegalStateException closedException() {
        return new IllegalStateException("pub/sub is closed");
    }

    /**
     * The listener of a channel whose messages are text (UTF-8): as {@link #subscribe(String, Listener)}, the message
     * copied into a string for the consumer.
     */
    public CompletableFuture<Void> subscribeText(String channel, Consumer<String> listener) {
        return subscribe(channel, payload -> listener.accept(payload.toString(StandardCharsets.UTF_8)));
    }

    /**
     * Sets the channel's listener (replacing one set before). Completes when Redis has confirmed the subscription; if
     * Redis is unreachable, that is when it is back.
     */
    public CompletableFuture<Void> subscribe(String channel, Listener listener) {
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        boolean accepted = run(() -> {
            if (closed) {
                confirmed.completeExceptionally(closedException());
                return;
            }
            subscriptions.put(channel, new Subscription(listener, confirmed));
            Channel ch = subscriber.channel;
            if (ch != null) {
                sendSubscribe(ch, List.of(channel));
            }
        });
        if (!accepted) {
            confirmed.completeExceptionally(closedException());
        }
        return confirmed;
    }

    /** Removes the channel's listener and the subscription. */
    public void unsubscribe(String channel) {
        run(() -> {
            Channel ch = subscriber.channel;
            if (subscriptions.remove(channel) != null && ch != null) {
                ch.writeAndFlush(command(ch.alloc(), List.of("UNSUBSCRIBE", channel)), ch.voidPromise());
            }
        });
    }

    private void sendSubscribe(Channel ch, List<String> channels) {
        List<String> args = new ArrayList<>(channels.size() + 1);
        args.add("SUBSCRIBE");
        args.addAll(channels);
        for (String c : channels) {
            unconfirmed.merge(c, 1, Integer::sum);
        }
        ch.writeAndFlush(command(ch.alloc(), args), ch.voidPromise());
    }

    /**
     * Closes both connections; what was published before is given up to {@code drainMillis} to be answered first.
     * Completes once both are closed (at once when the loop has already stopped), and a loop of its own has ended.
     */
    public CompletableFuture<Void> close(long drainMillis) {
        CompletableFuture<Void> connectionsClosed = closeConnections(drainMillis);
        if (ownGroup == null) {
            return connectionsClosed;
        }
        CompletableFuture<Void> ended = new CompletableFuture<>();
        connectionsClosed.whenComplete((v, e) -> ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS)
                .addListener(f -> ended.complete(null)));
        return ended;
    }

    private CompletableFuture<Void> closeConnections(long drainMillis) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
        if (!run(() -> {
            closed = true;
            flushPublishes();
            closeWhenDrained(deadline, done);
        })) {
            done.complete(null);
        }
        return done;
    }

    private void closeWhenDrained(long deadline, CompletableFuture<Void> done) {
        if (pending > 0 && publisher.channel != null && System.nanoTime() < deadline) {
            loop.schedule(() -> closeWhenDrained(deadline, done), 5, TimeUnit.MILLISECONDS);
            return;
        }
        for (Subscription s : subscriptions.values()) {
            s.confirmed.completeExceptionally(closedException());
        }
        subscriptions.clear();
        failConfirmations(closedException());
        connectWaiters.forEach(w -> w.completeExceptionally(closedException()));
        connectWaiters.clear();
        CompletableFuture<Void> a = publisher.closeNow();
        CompletableFuture<Void> b = subscriber.closeNow();
        CompletableFuture.allOf(a, b).whenComplete((v, e) -> done.complete(null));
    }

    private static ByteBuf command(ByteBufAllocator alloc, List<String> args) {
        ByteBuf out = alloc.buffer(16 + 32 * args.size());
        out.writeByte('*');
        ByteBufUtil.writeAscii(out, Integer.toString(args.size()));
        out.writeBytes(CRLF);
        for (String a : args) {
            bulk(out, a, ByteBufUtil.utf8Bytes(a));
        }
        return out;
    }

    private static void bulk(ByteBuf out, String s, int utf8Bytes) {
        out.writeByte('$');
        ByteBufUtil.writeAscii(out, Integer.toString(utf8Bytes));
        out.writeBytes(CRLF);
        ByteBufUtil.reserveAndWriteUtf8(out, s, utf8Bytes);
        out.writeBytes(CRLF);
    }

    private static String text(Object m) {
        return m instanceof ByteBuf b ? b.toString(StandardCharsets.UTF_8) : null;
    }

    private static boolean is(Object m, ByteBuf expected) {
        return m instanceof ByteBuf b && ByteBufUtil.equals(b, expected);
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.US_ASCII)).asReadOnly();
    }

    private void failConfirmations(Exception why) {
        for (Confirmation c : confirmations) {
            c.answered().completeExceptionally(why);
        }
        confirmations.clear();
    }

    private void updateConnected() {
        boolean now = publisher.channel != null && subscriber.channel != null;
        if (now != connected) {
            connected = now;
            if (now) {
                firstConnected.complete(null);
                connectWaiters.forEach(w -> w.complete(null));
                connectWaiters.clear();
                state.up();
            }
        }
    }

    // ---- replies

    private void onPublisherReply(Object reply) {
        if (reply instanceof Long || reply instanceof RespReplyDecoder.ErrorReply) {
            if (pending > 0) {
                pending--;
            }
            publishesAnswered++;
            if (reply instanceof RespReplyDecoder.ErrorReply e) {
                refused.incrementAndGet();
                logger.warn("redis refused a PUBLISH: {}", e.message());
            }
            if (!confirmations.isEmpty() && confirmations.peekFirst().number() == publishesAnswered) {
                CompletableFuture<Void> answered = confirmations.pollFirst().answered();
                if (reply instanceof RespReplyDecoder.ErrorReply e) {
                    answered.completeExceptionally(new IllegalStateException("redis refused it: " + e.message()));
                } else {
                    answered.complete(null);
                }
            }
            try {
                publishListener.answered(reply instanceof Long n ? n : -1);
            } catch (RuntimeException e) {
                logger.warn("a publish listener failed", e);
            }
        }
        // +PONG for our pings
    }

    private void onSubscriberReply(Object reply) {
        if (!(reply instanceof RespReplyDecoder.Array array) || array.size() < 2) {
            if (reply instanceof RespReplyDecoder.ErrorReply e) {
                logger.warn("redis pub/sub error: {}", e.message());
            }
            return; // +PONG when nothing is subscribed yet
        }
        Object kind = array.get(0);
        if (is(kind, MESSAGE) && array.size() == 3) {
            Subscription s = subscriptions.get(text(array.get(1)));
            if (s != null && array.get(2) instanceof ByteBuf payload) {
                try {
                    s.listener.onMessage(payload);
                } catch (RuntimeException e) {
                    logger.warn("a pub/sub listener failed", e);
                }
            }
        } else if (is(kind, SUBSCRIBE)) {
            String channel = text(array.get(1));
            Integer left = unconfirmed.computeIfPresent(channel, (c, n) -> n == 1 ? null : n - 1);
            Subscription s = subscriptions.get(channel);
            if (left == null && s != null) {
                s.confirmed.complete(null);
            }
        }
        // unsubscribe confirmations and ["pong", ""] need nothing
    }

    // ---- the two connections

    /** One connection to Redis, reopened when it breaks until the pub/sub is closed. */
    private final class Leg {
        private final String role;
        private Channel channel;
        private boolean connecting;
        private boolean reportedDown;
        private long backoffMillis = MIN_BACKOFF_MILLIS;
        private ChannelFuture connect;
        /** The next scheduled attempt: one at a time, however often a caller asks for the connection. */
        private ScheduledFuture<?> retry;

        Leg(String role) {
            this.role = role;
        }

        void connect() {
            if (closed || channel != null || connecting) {
                return;
            }
            connecting = true;
            Bootstrap b = new Bootstrap().group(loop).channel(EventLoops.clientChannel())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, endpoint.connectTimeoutMillis())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ChannelPipeline p = ch.pipeline();
                            if (ssl != null) {
                                SslHandler tls = ssl.newHandler(ch.alloc(), endpoint.host(), endpoint.port());
                                SSLParameters params = tls.engine().getSSLParameters();
                                params.setEndpointIdentificationAlgorithm("HTTPS");
                                tls.engine().setSSLParameters(params);
                                p.addLast(tls);
                            }
                            p.addLast(new IdleStateHandler(endpoint.pingIntervalMillis(), 0, 0, TimeUnit.MILLISECONDS));
                            p.addLast(new RespReplyDecoder(MAX_MESSAGE_BYTES));
                            p.addLast(new LegHandler(Leg.this));
                        }
                    });
            connect = b.connect(endpoint.host(), endpoint.port());
            connect.addListener(f -> {
                connecting = false;
                if (!f.isSuccess()) {
                    broken(f.cause() == null ? "connect failed" : String.valueOf(f.cause().getMessage()));
                }
            });
        }

        void opened(Channel ch) {
            if (closed) {
                ch.close();
                return;
            }
            channel = ch;
            if (!endpoint.password().isEmpty()) {
                ch.write(command(ch.alloc(), List.of("AUTH", endpoint.password())), ch.voidPromise());
            }
            if (this == subscriber) {
                unconfirmed.clear();
                if (!subscriptions.isEmpty()) {
                    sendSubscribe(ch, new ArrayList<>(subscriptions.keySet()));
                }
            }
            ch.flush();
            if (reportedDown) {
                logger.info("redis {} connection to {} open again", role, endpoint);
                reportedDown = false;
            }
            updateConnected();
        }

        /** The first answer on a connection: it works, so the next break starts the back-off afresh. */
        void answered() {
            backoffMillis = MIN_BACKOFF_MILLIS;
        }

        void closed(Channel ch, String why) {
            if (channel != ch) {
                return;
            }
            channel = null;
            if (this == publisher) {
                if (pending > 0) {
                    refused.addAndGet(pending); // sent, but whether Redis took them is unknown
                    pending = 0;
                }
                failConfirmations(new IllegalStateException("connection lost before redis answered"));
                publishesSent = 0;
                publishesAnswered = 0;
                publishListener.unanswered();
            }
            broken(why);
        }

        private void broken(String why) {
            updateConnected();
            if (closed) {
                return;
            }
            if (!reportedDown) {
                reportedDown = true;
                logger.warn("redis {} connection to {} lost ({}); retrying", role, endpoint, why);
            }
            state.down(why);
            if (retry != null && !retry.isDone()) {
                return;
            }
            long delay = backoffMillis;
            backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
            retry = loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        }

        CompletableFuture<Void> closeNow() {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Channel ch = channel;
            if (ch == null && connect != null && !connect.isDone()) {
                connect.cancel(false);
                ch = connect.channel();
            }
            if (ch == null) {
                done.complete(null);
            } else {
                ch.close().addListener(f -> done.complete(null));
            }
            return done;
        }
    }

    /** The handler of one connection: hands replies to its leg's reader, pings a quiet connection, closes a dead one. */
    private final class LegHandler extends SimpleChannelInboundHandler<Object> {
        private final Leg leg;
        private boolean authPending;
        private boolean answered;
        private int unansweredPings;

        LegHandler(Leg leg) {
            this.leg = leg;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            authPending = !endpoint.password().isEmpty();
            leg.opened(ctx.channel());
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            unansweredPings = 0;
            if (authPending) {
                authPending = false;
                if (msg instanceof RespReplyDecoder.ErrorReply e) {
                    logger.error("redis refused the password for the {} connection: {}", leg.role, e.message());
                    ctx.close();
                }
                return;
            }
            if (!answered) {
                answered = true;
                leg.answered();
            }
            if (leg == publisher) {
                onPublisherReply(msg);
            } else {
                onSubscriberReply(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
                if (unansweredPings >= 2) {
                    logger.warn("redis {} connection silent for {} ms; reconnecting", leg.role,
                            3L * endpoint.pingIntervalMillis());
                    ctx.close();
                    return;
                }
                unansweredPings++;
                ctx.writeAndFlush(command(ctx.alloc(), List.of("PING")), ctx.voidPromise());
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            leg.closed(ctx.channel(), "connection closed");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ExpectedExceptions.logAndClose(logger, ctx, cause);
        }
    }
}

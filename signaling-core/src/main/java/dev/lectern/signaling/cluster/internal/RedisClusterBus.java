package dev.lectern.signaling.cluster.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.lectern.core.health.HealthCheck;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.RedisEphemeralStore;
import dev.lectern.core.store.RedisScript;
import dev.lectern.core.store.redis.internal.RedisPubSub;
import dev.lectern.core.store.StoreUnavailableException;
import dev.lectern.signaling.cluster.ClusterBus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rooms across nodes over one Redis.
 *
 * <ul>
 *   <li>Membership: a hash {@code room:<id>:members} of peer id → {@code {n: node, u: user, h: host}}; joining runs a
 *       Lua script that checks the capacity and adds the member atomically. Each node lists its rooms in
 *       {@code node:<id>:rooms} and keeps {@code node:<id>:alive} (TTL {@code heartbeatTtlMillis}) fresh.</li>
 *   <li>Liveness: on every heartbeat a node re-asserts its members (a member that joined while Redis was away, or
 *       that a restarted Redis forgot, is registered again and announced) and reaps the members of nodes whose
 *       heartbeat expired, in one script so that only one node reaps them, then publishes their {@code peer-left}.</li>
 *   <li>Fan-out: one channel {@code room:<id>} per room, subscribed by a node while it has members in the room (the
 *       store's pub/sub connection resubscribes after an outage). A relay to one peer travels on the room channel
 *       with its target id: the nodes that can hold the target are exactly the subscribers, so no node needs to know
 *       where a peer lives, and one channel keeps one order per room. Each message begins with its origin (node id
 *       and start incarnation), then a sequence number: a node drops its own echoes by those first bytes, before
 *       parsing, and anything out of order.</li>
 *   <li>Threads: membership, subscriptions and heartbeats run on one worker thread (in submission order), with the
 *       store's pooled connections. Room events travel on two Netty connections of {@link RedisPubSub} that live on
 *       one of the server's event loops: an event published on that loop is written to Redis at once, one published
 *       elsewhere is handed to the loop first; its sequence number is taken there, in the order of the writes. Remote
 *       events are read and handed to the rooms on the same loop. Nothing here blocks an event loop.</li>
 * </ul>
 */
public final class RedisClusterBus implements ClusterBus, HealthCheck {
    private static final Logger logger = LoggerFactory.getLogger(RedisClusterBus.class);
    /** KEYS: members hash, node rooms set. ARGV: peer, value, capacity, room id, hash ttl ms. Nil when full. */
    private static final RedisScript JOIN = new RedisScript("""
            if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
              if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return false end
              redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            redis.call('SADD', KEYS[2], ARGV[4])
            redis.call('PEXPIRE', KEYS[2], ARGV[5])
            return redis.call('HGETALL', KEYS[1])
            """);
    /**
     * Removes a node's room members. KEYS: the node's rooms set, the nodes set, the node's alive key (nothing is
     * removed while it exists). ARGV: node id, members key prefix, suffix, and optionally an incarnation whose
     * members stay: a node that restarts under its old name removes what its earlier life left, not what it has
     * registered since. Returns {room, peer, user, …} of the members removed.
     */
    private static final RedisScript REAP = new RedisScript("""
            if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
            local keep = ARGV[4]
            local out = {}
            for _, room in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              local key = ARGV[2] .. room .. ARGV[3]
              local all = redis.call('HGETALL', key)
              local kept = false
              for i = 1, #all, 2 do
                local ok, v = pcall(cjson.decode, all[i + 1])
                if ok and v.n == ARGV[1] then
                  if keep and v.i == keep then
                    kept = true
                  else
                    redis.call('HDEL', key, all[i])
                    table.insert(out, room); table.insert(out, all[i]); table.insert(out, tostring(v.u))
                  end
                end
              end
              if not kept then redis.call('SREM', KEYS[1], room) end
            end
            if not keep then
              redis.call('DEL', KEYS[1])
              redis.call('SREM', KEYS[2], ARGV[1])
            end
            return out
            """);
    private static final String MEMBERS_SUFFIX = ":members";
    private static final long CONFIRM_TIMEOUT_MILLIS = 5000;
    private static final long PROBE_RETRY_MILLIS = 100;
    /** The payload of a probe on {@link #SYNC} (known by identity among the messages in flight). */
    private static final byte[] PROBE = "probe".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_HEAD = new byte[0];

    private final RedisEphemeralStore store;
    private final String nodeId;
    private final String incarnation;
    /** How every room event this node publishes begins: {@code {"o":<node id>,"i":<incarnation>,}. */
    private final String echoPrefix;
    /** {@link #echoPrefix} and the sequence number's name: what a room event's message begins with. */
    private final byte[] echoHead;
    private final String syncChannel;
    private final ByteBuf echoPrefixBytes;
    private final long heartbeatIntervalMillis;
    private final long heartbeatTtlMillis;
    private final long roomTtlMillis;
    private final ScheduledExecutorService worker;
    private final EventLoop loop;
    private final RedisPubSub pubSub;
    /** The sequence number of the last event published (the pub/sub loop's only). */
    private long sequence;
    // the outage buffer (the pub/sub loop's only)
    private final long bufferBytes;
    private final long bufferNanos;
    /** Written to Redis and not yet answered, in the order written: sent again if the connection breaks first. */
    private final ArrayDeque<Outgoing> sent = new ArrayDeque<>();
    /** Waiting for Redis (away, behind, or not every node listening again yet), in publication order. */
    private final ArrayDeque<Outgoing> held = new ArrayDeque<>();
    private long heldBytes;
    /** False from a break of a pub/sub connection until a probe found every live node subscribed again. */
    private boolean flowing = true;
    private boolean probing;
    private boolean expiryScheduled;
    /** Nodes alive at the last heartbeat that reached Redis, this one included (the probe's goal). */
    private volatile int liveNodes = 1;
    /** The largest {@link #liveNodes} since Redis was last lost: a restarted, empty Redis does not lower the goal. */
    private volatile int liveNodesBeforeOutage = 1;
    /** When the pub/sub connections were last up again after an outage ({@code System.nanoTime()}), or 0. */
    private volatile long reconnectedAtNanos;
    private final AtomicLong undelivered = new AtomicLong();
    private final AtomicLong heldNow = new AtomicLong();
    /**
     * Messages written to Redis and not answered yet (room events, requests, probes): {@link #sent}'s size for the
     * gauge, set with {@code lazySet} on every publish and answer (no fence on that path; a reader sees it shortly).
     */
    private final AtomicLong unansweredNow = new AtomicLong();
    private final AtomicLong outOfOrder = new AtomicLong();
    /** Whether what this node's earlier life left in Redis has been reaped (worker thread only). */
    private boolean earlierLifeReaped;
    /** Rooms with local members (worker thread only): how many. */
    private final Map<String, Integer> interest = new HashMap<>();
    /** Last sequence seen per room and origin (the pub/sub loop's only). */
    private final Map<String, Map<String, Long>> lastSeen = new HashMap<>();
    private final Map<Long, CompletableFuture<String>> pendingRequests = new ConcurrentHashMap<>();
    private final AtomicLong requestIds = new AtomicLong();
    private volatile Function<String, CompletionStage<String>> responder;
    private volatile Handler handler;
    private volatile boolean up = true;
    private volatile boolean closed;

    /**
     * A bus whose pub/sub connections live on {@code loop} (one of the server's event loops), with at most
     * {@code publishQueueLimit} room events waiting for Redis's answer, and room events for other nodes kept while
     * Redis is away for up to {@code outageBufferMillis}, {@code outageBufferBytes} of them in all.
     */
    public RedisClusterBus(RedisEphemeralStore store, EventLoop loop, String nodeId, long heartbeatIntervalMillis,
            long heartbeatTtlMillis, int publishQueueLimit, long outageBufferBytes, long outageBufferMillis) {
        this.store = store;
        this.loop = loop;
        this.bufferBytes = outageBufferBytes;
        this.bufferNanos = TimeUnit.MILLISECONDS.toNanos(outageBufferMillis);
        this.nodeId = nodeId;
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        this.incarnation = HexFormat.of().formatHex(random);
        String origin = Json.write(Json.MAPPER.createObjectNode().put("o", nodeId).put("i", incarnation));
        this.echoPrefix = origin.substring(0, origin.length() - 1) + ",";
        this.echoPrefixBytes = Unpooled.wrappedBuffer(echoPrefix.getBytes(StandardCharsets.UTF_8)).asReadOnly();
        this.echoHead = (echoPrefix + "\"s\":").getBytes(StandardCharsets.UTF_8);
        this.heartbeatIntervalMillis = heartbeatIntervalMillis;
        this.heartbeatTtlMillis = heartbeatTtlMillis;
        this.syncChannel = store.key(SYNC);
        this.roomTtlMillis = Math.max(2 * heartbeatTtlMillis, 60_000);
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lectern-cluster");
            t.setDaemon(true);
            return t;
        });
        this.pubSub = new RedisPubSub(loop, store.endpoint(), publishQueueLimit, new RedisPubSub.StateListener() {
            @Override
            public void up() {
                markUp();
                if (flowing) {
                    drain(); // what was published while the connections first opened
                } else {
                    reconnectedAtNanos = System.nanoTime();
                    probe();
                }
                // what waited for the connections (announcements after an outage, reaping) need not wait a beat
                try {
                    worker.execute(RedisClusterBus.this::heartbeat);
                } catch (RejectedExecutionException e) {
                    // closing
                }
            }

            @Override
            public void down(String why) {
                markDown(why);
                stopFlowing();
            }
        });
        pubSub.publishListener(new RedisPubSub.PublishListener() {
            @Override
            public void answered(long receivers) {
                onAnswered(receivers);
            }

            @Override
            public void unanswered() {
                resendUnanswered();
            }
        });
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public boolean clustered() {
        return true;
    }

    @Override
    public void start(Handler handler) {
        this.handler = handler;
        pubSub.start();
        worker.execute(() -> {
            // what this node announces as it starts (an earlier life's members leaving) needs the publishing
            // connection, which is still opening: it gets a few seconds, and the heartbeat retries what is left
            pubSub.awaitConnected(CONFIRM_TIMEOUT_MILLIS);
            subscribe(nodeChannel(nodeId), this::onNodeMessage);
            subscribe(SYNC, message -> { }); // counted by probes, nothing to read
            reapEarlierLife(handler);
        });
        worker.scheduleWithFixedDelay(this::heartbeat, 0, heartbeatIntervalMillis, TimeUnit.MILLISECONDS);
        logger.info("cluster node {} on redis (heartbeat every {} ms, ttl {} ms)", nodeId, heartbeatIntervalMillis,
                heartbeatTtlMillis);
    }

    private static String membersKey(String roomId) {
        return "room:" + roomId + MEMBERS_SUFFIX;
    }

    private static String channel(String roomId) {
        return "room:" + roomId;
    }

    private static String nodeChannel(String node) {
        return "node:" + node;
    }

    private static String roomsKey(String node) {
        return "node:" + node + ":rooms";
    }

    private static String aliveKey(String node) {
        return "node:" + node + ":alive";
    }

    private static final String NODES = "nodes";
    /** Every node subscribes to it with its other channels: PUBLISH's answer on it counts the nodes listening. */
    private static final String SYNC = "nodes:sync";

    private String value(Member m) {
        ObjectNode v = Json.MAPPER.createObjectNode().put("n", nodeId).put("i", incarnation).put("u", m.userId())
                .put("h", m.host());
        return Json.write(v);
    }

    // ---- membership (worker thread)

    @Override
    public CompletionStage<List<Member>> join(String roomId, Member member, int capacity) {
        CompletableFuture<List<Member>> result = new CompletableFuture<>();
        submit(() -> {
            acquire(roomId);
            Object reply;
            try {
                reply = store.eval(JOIN, List.of(membersKey(roomId), roomsKey(nodeId)),
                        List.of(member.peerId(), value(member), Integer.toString(capacity), roomId,
                                Long.toString(roomTtlMillis)));
                markUp();
            } catch (StoreUnavailableException e) {
                markDown(e);
                result.complete(List.of()); // joins locally; the next heartbeat after the outage registers it
                return;
            } catch (RuntimeException e) {
                release(roomId);
                result.completeExceptionally(e);
                return;
            }
            if (reply == null) {
                release(roomId);
                result.completeExceptionally(new RoomFullException());
                return;
            }
            result.complete(othersIn((List<?>) reply));
        }, () -> result.completeExceptionally(new IllegalStateException("cluster bus is closed")));
        return result;
    }

    /** The members on other nodes, from a flat HGETALL reply. */
    private List<Member> othersIn(List<?> flat) {
        List<Member> others = new ArrayList<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            String peer = String.valueOf(flat.get(i));
            try {
                JsonNode v = Json.MAPPER.readTree(String.valueOf(flat.get(i + 1)));
                if (!nodeId.equals(v.path("n").asText())) {
                    others.add(new Member(peer, v.path("u").asText(), v.path("h").asBoolean(false)));
                }
            } catch (IOException e) {
                logger.warn("ignoring a malformed member entry in a room hash");
            }
        }
        return others;
    }

    @Override
    public void leave(String roomId, String peerId, RoomEvent announce) {
        submit(() -> {
            try {
                store.hdel(membersKey(roomId), peerId);
                markUp();
            } catch (StoreUnavailableException e) {
                markDown(e); // the entry goes when its hash expires; a live node no longer re-asserts it
            } finally {
                release(roomId);
            }
            if (announce != null) {
                publish(roomId, announce);
            }
        }, () -> { });
    }

    @Override
    public void handOff(String roomId, String peerId) {
        submit(() -> release(roomId), () -> { });
    }

    @Override
    public CompletionStage<List<Member>> adopt(String roomId, Member member) {
        CompletableFuture<List<Member>> result = new CompletableFuture<>();
        submit(() -> {
            acquire(roomId);
            try {
                String key = membersKey(roomId);
                store.hset(key, member.peerId(), value(member));
                store.setAdd(roomsKey(nodeId), roomId);
                Map<String, String> all = store.hgetAll(key);
                markUp();
                List<Object> flat = new ArrayList<>();
                all.forEach((peer, v) -> {
                    flat.add(peer);
                    flat.add(v);
                });
                result.complete(othersIn(flat));
            } catch (StoreUnavailableException e) {
                markDown(e);
                result.complete(List.of());
            }
        }, () -> result.completeExceptionally(new IllegalStateException("cluster bus is closed")));
        return result;
    }

    // ---- requests between nodes, on each node's own channel

    @Override
    public CompletionStage<String> request(String node, String body, long timeoutMillis) {
        long id = requestIds.incrementAndGet();
        CompletableFuture<String> answer = new CompletableFuture<>();
        pendingRequests.put(id, answer);
        ObjectNode q = Json.MAPPER.createObjectNode().put("q", id).put("f", nodeId).put("b", body);
        String payload = Json.write(q);
        String channel = store.key(nodeChannel(node));
        if (!pubSub.run(() -> {
            if (!sendNow(new Outgoing(channel, payload))) {
                answer.completeExceptionally(new IllegalStateException("redis is unreachable or behind"));
            }
        })) {
            answer.completeExceptionally(new IllegalStateException("cluster bus is closed"));
        }
        return answer.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .whenComplete((a, e) -> pendingRequests.remove(id));
    }

    @Override
    public void serveRequests(Function<String, CompletionStage<String>> responder) {
        this.responder = responder;
    }

    private void onNodeMessage(ByteBuf message) {
        JsonNode m = parse(message);
        if (m == null) {
            logger.warn("ignoring a malformed message on this node's channel");
            return;
        }
        if (m.has("r")) {
            CompletableFuture<String> answer = pendingRequests.remove(m.get("r").asLong());
            if (answer != null) {
                answer.complete(m.path("b").asText());
            }
            return;
        }
        Function<String, CompletionStage<String>> r = responder;
        String from = m.path("f").asText();
        if (r == null || !m.has("q") || from.isEmpty()) {
            return;
        }
        long id = m.get("q").asLong();
        r.apply(m.path("b").asText()).whenComplete((body, e) -> {
            ObjectNode reply = Json.MAPPER.createObjectNode().put("r", id).put("b", e == null ? body : "");
            String payload = Json.write(reply);
            String channel = store.key(nodeChannel(from));
            pubSub.run(() -> sendNow(new Outgoing(channel, payload))); // else the asker times out
        });
    }

    private void submit(Runnable task, Runnable whenClosed) {
        try {
            worker.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    logger.warn("cluster task failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            whenClosed.run();
        }
    }

    /** One more local member in a room: subscribe to its channel with the first (confirmed while Redis is up). */
    private void acquire(String roomId) {
        int n = interest.merge(roomId, 1, Integer::sum);
        if (n == 1) {
            pubSub.run(() -> lastSeen.remove(roomId));
            subscribe(channel(roomId), message -> onMessage(roomId, message));
        }
    }

    /**
     * Subscribes to a channel; while Redis is up, waits for the confirmation (on the worker thread, never a loop), so
     * that what is published to it from then on is delivered. While it is down, the subscription is made once it is
     * back.
     */
    private void subscribe(String channel, RedisPubSub.Listener listener) {
        CompletableFuture<Void> confirmed = pubSub.subscribe(store.key(channel), listener);
        if (!up || !pubSub.connected()) {
            return;
        }
        try {
            confirmed.get(CONFIRM_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            logger.debug("subscription to {} not yet confirmed; it is made when redis is reachable", channel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            logger.debug("subscription to {} failed", channel, e.getCause());
        }
    }

    /** One local member fewer: unsubscribe with the last, so that nodes only hear rooms they have members in. */
    private void release(String roomId) {
        Integer n = interest.computeIfPresent(roomId, (k, v) -> v == 1 ? null : v - 1);
        if (n == null) {
            pubSub.unsubscribe(store.key(channel(roomId)));
            pubSub.run(() -> lastSeen.remove(roomId));
        }
    }

    // ---- heartbeat, re-assertion, reaping (worker thread)

    private void heartbeat() {
        Handler h = handler;
        if (closed || h == null) {
            return;
        }
        try {
            // members re-registered and nodes reaped are announced on the rooms' channels: while the pub/sub
            // connections are down that would be lost, so only the heartbeat key is kept alive meanwhile
            boolean canAnnounce = pubSub.connected();
            List<BooleanSupplier> added = new ArrayList<>();
            List<String[]> addedWho = new ArrayList<>();
            Map<String, List<Member>> local = canAnnounce ? h.localMembers() : Map.of();
            Duration roomTtl = Duration.ofMillis(roomTtlMillis);
            store.batch(b -> {
                b.set(aliveKey(nodeId), incarnation, Duration.ofMillis(heartbeatTtlMillis));
                b.setAdd(NODES, nodeId);
                String rooms = roomsKey(nodeId);
                local.forEach((roomId, members) -> {
                    String key = membersKey(roomId);
                    for (Member m : members) {
                        added.add(b.hsetNew(key, m.peerId(), value(m)));
                        addedWho.add(new String[] {roomId, m.peerId(), m.userId(), Boolean.toString(m.host())});
                    }
                    b.expire(key, roomTtl);
                    b.setAdd(rooms, roomId);
                });
                b.expire(rooms, roomTtl);
            });
            for (int i = 0; i < added.size(); i++) {
                if (added.get(i).getAsBoolean()) { // Redis did not know it: joined during an outage, or Redis restarted
                    String[] w = addedWho.get(i);
                    ObjectNode notice = Json.MAPPER.createObjectNode().put("peer_id", w[1]).put("user_id", w[2])
                            .put("is_host", Boolean.parseBoolean(w[3])).put("room_id", w[0]);
                    publish(w[0], new RoomEvent("peer-joined", null, w[1], notice));
                }
            }
            if (canAnnounce) {
                reapEarlierLife(h);
                reap(h);
            }
            markUp();
        } catch (StoreUnavailableException e) {
            markDown(e);
        } catch (RuntimeException e) {
            logger.warn("cluster heartbeat failed", e);
        }
    }

    /**
     * Removes and announces the members that this node's earlier life (the same name, another incarnation) left in
     * Redis, once; until that has worked it is tried again on every beat. Members this life registered stay.
     */
    private void reapEarlierLife(Handler h) {
        if (earlierLifeReaped || !pubSub.connected()) {
            return;
        }
        try {
            reapNode(h, nodeId, aliveKey(nodeId) + ":restarted", incarnation);
            earlierLifeReaped = true;
        } catch (StoreUnavailableException e) {
            markDown(e);
        }
    }

    /**
     * Counts the live nodes (the goal of a {@link #probe}) and reaps the members of the others, except for a while
     * after Redis came back from an outage: every node's heartbeat key may have expired while none could reach Redis,
     * and the nodes that are alive re-assert theirs within a beat of their own reconnection, which may come up to one
     * reconnection back-off after this node's. So the grace is a heartbeat TTL plus that back-off plus a beat (a full
     * run found a node reaped for an outage when the grace was the TTL alone and the TTL short).
     */
    private void reap(Handler h) {
        Set<String> nodes = store.setMembers(NODES);
        long sinceBack = System.nanoTime() - reconnectedAtNanos;
        long graceMillis = heartbeatTtlMillis + heartbeatIntervalMillis
                + RedisPubSub.MAX_BACKOFF_MILLIS;
        boolean grace = reconnectedAtNanos != 0 && sinceBack < TimeUnit.MILLISECONDS.toNanos(graceMillis);
        int live = 1;
        for (String node : nodes) {
            if (node.equals(nodeId)) {
                continue;
            }
            if (store.exists(aliveKey(node))) {
                live++;
            } else if (!grace) {
                reapNode(h, node, aliveKey(node), null);
            }
        }
        liveNodes = live;
    }

    /**
     * Removes a node's members (all of them, or those of other incarnations than {@code keep}) unless
     * {@code aliveKey} exists, and tells their rooms.
     */
    private void reapNode(Handler h, String node, String aliveKey, String keep) {
        List<String> args = keep == null ? List.of(node, store.key("room:"), MEMBERS_SUFFIX)
                : List.of(node, store.key("room:"), MEMBERS_SUFFIX, keep);
        Object reply = store.eval(REAP, List.of(roomsKey(node), NODES, aliveKey), args);
        List<?> flat = (List<?>) reply;
        if (!flat.isEmpty()) {
            logger.warn("node {} stopped beating: {} of its room members removed", node, flat.size() / 3);
        }
        for (int i = 0; i + 2 < flat.size(); i += 3) {
            String roomId = String.valueOf(flat.get(i));
            String peer = String.valueOf(flat.get(i + 1));
            ObjectNode notice = Json.MAPPER.createObjectNode().put("room_id", roomId).put("peer_id", peer)
                    .put("user_id", String.valueOf(flat.get(i + 2)));
            RoomEvent left = new RoomEvent("peer-left", null, peer, notice);
            publish(roomId, left);
            h.onRemote(roomId, left); // our own members of the room hear it too (our echo is dropped)
        }
    }

    private void markUp() {
        if (!up) {
            up = true;
            logger.info("cluster node {}: redis is back; cross-node delivery resumes", nodeId);
        }
    }

    private void markDown(StoreUnavailableException e) {
        markDown(e.getMessage());
    }

    private void markDown(String why) {
        if (up) {
            up = false;
            logger.warn("cluster node {}: redis unavailable ({}); rooms go on locally", nodeId, why);
        }
    }

    // ---- fan-out

    @Override
    public void publish(String roomId, RoomEvent event) {
        byte[] body = encode(event); // on the caller's thread; numbered on the loop, in write order
        String channel = store.key(channel(roomId));
        // from another event loop, with the rest of that loop's turn (one hand-over, not one per event)
        pubSub.runBatched(() -> enqueue(new Outgoing(channel, ++sequence, body, roomId, event)),
                () -> undeliverable(roomId, event)); // the loop is gone: the server is stopping
    }

    /**
     * The event as the tail of a message: {@code ,"e":…,"t":…,"f":…,"d":…}}; the origin and the sequence number
     * ({@link #echoHead}) go before it, so that this node's own echo is known by its first bytes, unparsed. The data
     * comes last: a receiver passes it on to its sockets as it came, without building it again.
     */
    private static byte[] encode(RoomEvent event) {
        ByteArrayBuilder out = new ByteArrayBuilder(256);
        try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("e", event.event());
            if (event.to() != null) {
                g.writeStringField("t", event.to());
            }
            if (event.from() != null) {
                g.writeStringField("f", event.from());
            }
            g.writeFieldName("d");
            Json.MAPPER.writeTree(g, event.data());
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a room event", e);
        }
        byte[] body = out.toByteArray();
        body[0] = ','; // what follows the sequence number
        return body;
    }

    /**
     * A message for Redis. Room events ({@code event} set) are kept until Redis has answered them, and held while it
     * is away; requests between nodes and probes are sent only when they can be at once.
     */
    private static final class Outgoing {
        final String channel;
        /** The room event's sequence number (after {@link #echoHead}), or -1: the body is the whole message. */
        final long seq;
        final byte[] body;
        final String roomId;
        final RoomEvent event;
        /** When it was first held ({@code System.nanoTime()}), 0 while it never was. */
        long heldAtNanos;

        Outgoing(String channel, long seq, byte[] body, String roomId, RoomEvent event) {
            this.channel = channel;
            this.seq = seq;
            this.body = body;
            this.roomId = roomId;
            this.event = event;
        }

        Outgoing(String channel, String message) {
            this(channel, -1, message.getBytes(StandardCharsets.UTF_8), null, null);
        }

        /** What it costs to keep: the body, the channel's chars, and the objects around them. */
        long bytes() {
            return body.length + 2L * channel.length() + 128;
        }
    }

    /** On the loop: a room event goes out at once when nothing waits before it, else joins the queue. */
    private void enqueue(Outgoing o) {
        if (flowing && held.isEmpty() && pubSub.writable()) {
            write(o);
        } else {
            hold(o);
        }
    }

    /** On the loop: a request or probe, sent only if it can go now (true) and then tracked until answered. */
    private boolean sendNow(Outgoing o) {
        if (!pubSub.writable()) {
            return false;
        }
        write(o);
        return true;
    }

    private void write(Outgoing o) {
        if (pubSub.publish(o.channel, o.seq < 0 ? NO_HEAD : echoHead, o.seq, o.body)) {
            sent.add(o);
            unansweredNow.lazySet(sent.size());
        } else if (o.event != null) {
            hold(o);
        }
    }

    private void hold(Outgoing o) {
        long bytes = o.bytes();
        if (heldBytes + bytes > bufferBytes) {
            undeliverable(o.roomId, o.event);
            return;
        }
        if (o.heldAtNanos == 0) {
            o.heldAtNanos = System.nanoTime();
        }
        held.add(o);
        heldBytes += bytes;
        heldNow.set(held.size());
        scheduleExpiry();
    }

    /** On the loop: Redis answered the oldest message in flight. */
    private void onAnswered(long receivers) {
        Outgoing o = sent.poll();
        unansweredNow.lazySet(sent.size());
        if (o == null) {
            return;
        }
        if (o.body == PROBE) {
            onProbeAnswered(receivers);
        } else if (receivers < 0 && o.event != null) {
            undeliverable(o.roomId, o.event); // Redis refused it (out of memory, say): sending it again would not help
        }
        drain();
    }

    /** On the loop: the publishing connection broke; what it carried unanswered is sent again, first, once back. */
    private void resendUnanswered() {
        stopFlowing();
        List<Outgoing> again = new ArrayList<>(sent.size());
        for (Outgoing o : sent) {
            if (o.event != null) { // requests time out on their own; a probe is made again
                again.add(o);
            }
        }
        sent.clear();
        unansweredNow.lazySet(0);
        probing = false;
        long now = System.nanoTime();
        for (int i = again.size() - 1; i >= 0; i--) { // ahead of what was held meanwhile, in their order
            Outgoing o = again.get(i);
            if (o.heldAtNanos == 0) {
                o.heldAtNanos = now;
            }
            held.addFirst(o);
            heldBytes += o.bytes();
        }
        heldNow.set(held.size());
        scheduleExpiry();
    }

    private void stopFlowing() {
        pubSub.run(() -> {
            if (flowing) {
                flowing = false;
                liveNodesBeforeOutage = liveNodes;
            }
        });
    }

    /**
     * On the loop, once both connections are up after a break: asks Redis how many nodes listen on {@link #SYNC}
     * (they subscribe to it with all their room channels in one command) and lets the held events go once that is
     * every live node, so that none is published before a node that needs it has subscribed again. Asked again every
     * {@link #PROBE_RETRY_MILLIS} until then; held events age out meanwhile.
     */
    private void probe() {
        if (flowing || probing || closed) {
            return;
        }
        probing = true;
        if (!sendNow(new Outgoing(syncChannel, -1, PROBE, null, null))) {
            probing = false; // the connection broke again: its return probes anew
        }
    }

    private void onProbeAnswered(long receivers) {
        probing = false;
        if (flowing) {
            return;
        }
        boolean settled = System.nanoTime() - reconnectedAtNanos > TimeUnit.MILLISECONDS.toNanos(heartbeatTtlMillis);
        int goal = settled ? liveNodes : Math.max(liveNodes, liveNodesBeforeOutage);
        if (receivers >= goal) {
            flowing = true;
            if (!held.isEmpty()) {
                logger.info("cluster node {}: {} room events held while redis was away go out now", nodeId,
                        held.size());
            }
            return; // drain() follows
        }
        loop.schedule(this::probe, PROBE_RETRY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** On the loop: sends what is held, in order, while Redis takes it. */
    private void drain() {
        while (flowing && !held.isEmpty() && pubSub.writable()) {
            Outgoing o = held.poll();
            heldBytes -= o.bytes();
            write(o);
        }
        heldNow.set(held.size());
    }

    private void scheduleExpiry() {
        if (!expiryScheduled && !held.isEmpty()) {
            expiryScheduled = true;
            long delay = Math.max(1, TimeUnit.NANOSECONDS.toMillis(held.peek().heldAtNanos + bufferNanos
                    - System.nanoTime()) + 1);
            loop.schedule(this::expire, delay, TimeUnit.MILLISECONDS);
        }
    }

    /** On the loop: held events older than the buffer's age bound are given up, and their senders told. */
    private void expire() {
        expiryScheduled = false;
        long limit = System.nanoTime() - bufferNanos;
        int n = 0;
        while (!held.isEmpty() && held.peek().heldAtNanos - limit <= 0) {
            Outgoing o = held.poll();
            heldBytes -= o.bytes();
            undeliverable(o.roomId, o.event);
            n++;
        }
        if (n > 0) {
            logger.warn("cluster node {}: {} room events held longer than {} ms given up (their senders are told)",
                    nodeId, n, TimeUnit.NANOSECONDS.toMillis(bufferNanos));
        }
        heldNow.set(held.size());
        scheduleExpiry();
        drain();
    }

    /** A room event that will not reach other nodes: counted, and its sender on this node told. */
    private void undeliverable(String roomId, RoomEvent event) {
        long n = undelivered.incrementAndGet();
        if (n == 1 || n % 10_000 == 0) {
            logger.warn("{} room events not delivered to other nodes so far (redis away too long, or the outage"
                    + " buffer full)", n);
        }
        Handler h = handler;
        if (h != null) {
            try {
                h.undelivered(roomId, event);
            } catch (RuntimeException e) {
                logger.warn("telling a sender of an undelivered event failed", e);
            }
        }
    }

    /** On the pub/sub loop: our own echoes and stale messages are dropped, the rest go to the rooms. */
    private void onMessage(String roomId, ByteBuf message) {
        if (isOwnEcho(message)) { // every event of ours comes back: half of what arrives, dropped before parsing
            return;
        }
        Incoming m = Incoming.read(message);
        if (m == null) {
            logger.warn("ignoring a malformed cluster message on room {}", roomId);
            return;
        }
        if (nodeId.equals(m.node) && incarnation.equals(m.incarnation)) {
            return;
        }
        String origin = m.node + "/" + m.incarnation;
        Map<String, Long> seen = lastSeen.computeIfAbsent(roomId, r -> new HashMap<>());
        Long last = seen.get(origin);
        if (last != null && m.seq <= last) {
            outOfOrder.incrementAndGet();
            return;
        }
        seen.put(origin, m.seq);
        Handler h = handler;
        if (h != null) {
            h.onRemote(roomId, new RoomEvent(m.event, m.to, m.from, m.data));
        }
    }

    /**
     * A room event as read from its message with a streaming parser: the envelope's fields, and the data as the
     * bytes it came in (a raw JSON value that the sockets' encoders copy as it is) unless it is membership news,
     * which the rooms read.
     */
    private static final class Incoming {
        /** Reads one value in the middle of the envelope (the mapper's own reader fails on what follows it). */
        private static final ObjectReader TREE = Json.MAPPER.readerFor(JsonNode.class)
                .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        String node = "";
        String incarnation = "";
        long seq;
        String event;
        String to;
        String from;
        JsonNode data;

        /** The event, or null when the message is not one. */
        static Incoming read(ByteBuf message) {
            byte[] bytes = ByteBufUtil.getBytes(message);
            Incoming m = new Incoming();
            try (JsonParser p = Json.MAPPER.createParser(bytes)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    return null;
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken t = p.nextToken();
                    switch (field) {
                        case "o" -> m.node = p.getValueAsString("");
                        case "i" -> m.incarnation = p.getValueAsString("");
                        case "s" -> m.seq = p.getValueAsLong();
                        case "e" -> m.event = p.getValueAsString();
                        case "t" -> m.to = p.getValueAsString();
                        case "f" -> m.from = p.getValueAsString();
                        case "d" -> m.data = data(p, t, bytes, m.event);
                        default -> p.skipChildren();
                    }
                }
            } catch (IOException | RuntimeException e) {
                return null;
            }
            return m.event == null || m.data == null ? null : m;
        }

        private static JsonNode data(JsonParser p, JsonToken t, byte[] bytes, String event) throws IOException {
            if (t != JsonToken.START_OBJECT || event == null || event.equals("peer-joined")
                    || event.equals("peer-left")) {
                return TREE.readValue(p);
            }
            long start = p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            long end = p.currentTokenLocation().getByteOffset() + 1;
            return Json.MAPPER.getNodeFactory().rawValueNode(new RawValue(
                    new String(bytes, (int) start, (int) (end - start), StandardCharsets.UTF_8)));
        }
    }

    private boolean isOwnEcho(ByteBuf message) {
        int n = echoPrefixBytes.readableBytes();
        return message.readableBytes() >= n
                && ByteBufUtil.equals(message, message.readerIndex(), echoPrefixBytes, 0, n);
    }

    private static JsonNode parse(ByteBuf message) {
        try (ByteBufInputStream in = new ByteBufInputStream(message.duplicate())) {
            JsonNode m = Json.MAPPER.readTree((java.io.InputStream) in);
            return m != null && m.isObject() ? m : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Room events given up for other nodes (held longer than the outage buffer's age bound, or beyond its bytes, or
     * refused by Redis); their senders were told.
     */
    public long dropped() {
        return undelivered.get();
    }

    /** Room events held for other nodes right now (Redis away or behind). */
    public long held() {
        return heldNow.get();
    }

    /**
     * Messages written to Redis that it has not answered yet. A room event among them when the connection breaks is
     * held again and sent once more after the outage (receivers drop a copy they already have), or given up with
     * the others beyond the outage buffer.
     */
    public long unanswered() {
        return unansweredNow.get();
    }

    /** Remote events dropped as duplicates or out of order. */
    public long outOfOrder() {
        return outOfOrder.get();
    }

    // ---- health

    @Override
    public String name() {
        return "cluster";
    }

    @Override
    public HealthStatus check() {
        if (!pubSub.connected()) {
            return HealthStatus.down("redis unavailable (pub/sub connections down), node " + nodeId
                    + " delivers locally only");
        }
        try {
            store.ping();
            long nodes = store.setSize(NODES);
            return HealthStatus.up("redis, node " + nodeId + ", " + nodes + " nodes");
        } catch (StoreUnavailableException e) {
            return HealthStatus.down("redis unavailable, node " + nodeId + " delivers locally only: "
                    + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        worker.execute(() -> {
            try {
                // no heartbeat any more: the next beat of another node reaps what is left here (sockets waiting
                // for their clients to resume), and tells the rooms
                store.delete(aliveKey(nodeId));
            } catch (StoreUnavailableException e) {
                logger.debug("could not sign off from redis", e);
            }
            interest.clear();
        });
        closed = true;
        worker.shutdown();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
            // what was published before (the peer-left of sockets closed at shutdown) is answered first
            pubSub.close(1000).get(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            logger.debug("cluster pub/sub did not close in time", e);
        }
    }
}

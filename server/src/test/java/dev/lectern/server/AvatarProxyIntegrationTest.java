package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.avatars.AddedAvatarRepository;
import dev.lectern.avatars.AvatarCatalogue;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.netty.EventLoops;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.http.AuthDecorator;
import dev.lectern.http.BlockingExecutor;
import dev.lectern.http.HttpApp;
import dev.lectern.http.Router;
import dev.lectern.http.api.AvatarApi;
import dev.lectern.http.multipart.MultipartLimits;
import dev.lectern.media.proxy.internal.AvatarProxy;
import dev.lectern.media.AvatarService;
import dev.lectern.media.FakeAvatars;
import dev.lectern.media.LocalAvatarManager;
import dev.lectern.media.ProxyTarget;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The avatar endpoints and the proxy over real sockets: the HTTP pipeline of production ({@link LecternInitializer})
 * with a test token verifier, and real avatar processes ({@code FakeLiveTalking}) started from the command template.
 */
class AvatarProxyIntegrationTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private InMemoryEphemeralStore store;
    private LocalAvatarManager manager;
    private AvatarProxy pool;
    private BlockingExecutor blocking;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel listener;
    private ChannelGroup channels;
    private LecternServer server;
    private SqlDatabase sql;

    /** Tokens are "t-" + user id. */
    private static final TokenVerifier VERIFIER = token -> token.startsWith("t-")
            ? CompletableFuture.completedFuture(new Principal(token.substring(2), Role.STUDENT, null))
            : CompletableFuture.failedFuture(new InvalidTokenException("invalid token"));

    private void start(Consumer<ObjectNode> tweak) {
        ServerConfig cfg = FakeAvatars.config(Map.of(), tweak);
        store = new InMemoryEphemeralStore();
        manager = new LocalAvatarManager(cfg.avatars(), Path.of(cfg.storage().dataDir()), store);
        pool = new AvatarProxy(cfg.avatars().maxIdleBackendConnections(), cfg.avatars().connectTimeoutMillis());
        Router.Builder routes = Router.builder();
        sql = new SqlDatabase(cfg.storage(), null);
        blocking = new BlockingExecutor(4, 100);
        new AvatarApi(cfg.avatars(), manager, new AvatarCatalogue(cfg.avatars(),
                new AddedAvatarRepository(sql, Clock.systemUTC()), null, store), pool,
                MultipartLimits.oneFile(1024, 4, Path.of(cfg.storage().dataDir()).resolve("tmp")), blocking)
                .register(routes);
        HttpApp app = new HttpApp(cfg.http(), routes.build(), List.of(new AuthDecorator(VERIFIER)), blocking,
                new SimpleMeterRegistry());
        boss = EventLoops.newGroup(1, "test-accept");
        workers = EventLoops.newGroup(1, "test-io");
        channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        listener = new ServerBootstrap().group(boss, workers).channel(EventLoops.serverChannel())
                .childHandler(new LecternInitializer(cfg.http(), app, null, channels))
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (listener == null) {
            return;
        }
        List<LocalAvatarManager.InstanceView> left = manager.instances();
        listener.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        pool.close();
        manager.close();
        blocking.close();
        store.close();
        sql.close();
        for (LocalAvatarManager.InstanceView v : left) {
            assertThat(ProcessHandle.of(v.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) listener.localAddress()).getPort() + path);
    }

    private HttpResponse<String> post(String user, String path, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(WAIT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(body)));
        if (user != null) {
            b.header("Authorization", "Bearer t-" + user);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String user, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(WAIT)
                .header("Authorization", "Bearer t-" + user).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    private JsonNode startAvatar(String user, String avatar) throws Exception {
        HttpResponse<String> r = post(user, "/api/avatar/start", Map.of("avatar_name", avatar));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    @Test
    void startThenOfferHumanAndInterruptThroughTheProxyWithIntSessionIds() throws Exception {
        start(a -> { });
        JsonNode started = startAvatar("u1", FakeAvatars.ANNA);
        assertThat(started.get("status").asText()).isEqualTo("success");
        assertThat(started.get("avatar_id").asText()).isEqualTo(FakeAvatars.ANNA + "_user_u1");
        assertThat(started.get("avatar_name").asText()).isEqualTo(FakeAvatars.ANNA);
        assertThat(started.get("webrtc_url").asText()).isEqualTo("/api/webrtc/offer");
        assertThat(started.get("gpu").asInt()).isEqualTo(0);
        assertThat(started.get("connections").asInt()).isEqualTo(1);
        assertThat(started.get("is_new_instance").asBoolean()).isTrue();
        assertThat(started.get("port").asInt()).isPositive();

        HttpResponse<String> offer = post("u1", "/api/webrtc/offer", Map.of("sdp", "v=0\r\nbrowser-offer", "type", "offer"));
        assertThat(offer.statusCode()).isEqualTo(200);
        assertThat(offer.headers().firstValue("x-request-id")).isPresent();
        assertThat(offer.headers().firstValue("access-control-allow-origin")).isEmpty();
        JsonNode answer = json(offer);
        assertThat(answer.get("type").asText()).isEqualTo("answer");
        assertThat(answer.get("sdp").asText()).startsWith("v=0");
        JsonNode session = answer.get("sessionid");
        assertThat(session.isInt()).isTrue();

        ObjectNode say = Json.MAPPER.createObjectNode();
        say.set("sessionid", session);
        say.put("text", "Hello there.").put("type", "echo");
        assertThat(json(post("u1", "/api/webrtc/human", say)).get("code").asInt()).isZero();
        say.put("text", "Second sentence.");
        assertThat(json(post("u1", "/api/webrtc/human", say)).get("code").asInt()).isZero();
        assertThat(json(get("u1", "/api/webrtc/__spoken?sessionid=" + session.asText())).toString())
                .isEqualTo("[\"Hello there.\",\"Second sentence.\"]");

        ObjectNode sid = Json.MAPPER.createObjectNode();
        sid.set("sessionid", session);
        assertThat(json(post("u1", "/api/webrtc/is_speaking", sid)).get("data").asBoolean()).isTrue();
        assertThat(json(post("u1", "/api/webrtc/interrupt_talk", sid)).get("code").asInt()).isZero();
        assertThat(json(post("u1", "/api/webrtc/is_speaking", sid)).get("data").asBoolean()).isFalse();

        // the proxy passes the avatar's answers untouched: a string id on an int build is LiveTalking's own refusal
        ObjectNode wrongType = Json.MAPPER.createObjectNode().put("sessionid", session.asText()).put("text", "x")
                .put("type", "echo");
        HttpResponse<String> refused = post("u1", "/api/webrtc/human", wrongType);
        assertThat(refused.statusCode()).isEqualTo(200);
        assertThat(json(refused).get("code").asInt()).isEqualTo(-1);
    }

    @Test
    void uuidSessionIdsTravelAsStrings() throws Exception {
        start(a -> { });
        startAvatar("u1", FakeAvatars.BOB);
        JsonNode session = json(post("u1", "/api/webrtc/offer", Map.of("sdp", "v=0", "type", "offer"))).get("sessionid");
        assertThat(session.isTextual()).isTrue();
        ObjectNode say = Json.MAPPER.createObjectNode();
        say.set("sessionid", session);
        say.put("text", "Hi.").put("type", "echo").put("interrupt", true);
        assertThat(json(post("u1", "/api/webrtc/human", say)).get("code").asInt()).isZero();
    }

    @Test
    void sharingSwitchingAndDisconnectAreReportedPerUser() throws Exception {
        start(a -> { });
        JsonNode first = startAvatar("u1", FakeAvatars.ANNA);
        JsonNode second = startAvatar("u2", FakeAvatars.ANNA);
        assertThat(second.get("port").asInt()).isEqualTo(first.get("port").asInt());
        assertThat(second.get("is_new_instance").asBoolean()).isFalse();
        assertThat(second.get("connections").asInt()).isEqualTo(2);

        JsonNode switched = startAvatar("u1", FakeAvatars.BOB);
        assertThat(switched.get("port").asInt()).isNotEqualTo(first.get("port").asInt());
        assertThat(switched.get("connections").asInt()).isEqualTo(1);

        JsonNode left = json(post("u2", "/api/avatar/disconnect", Map.of()));
        assertThat(left.get("status").asText()).isEqualTo("success");
        assertThat(left.get("message").asText()).isEqualTo("Disconnected from avatar " + FakeAvatars.ANNA);
        JsonNode again = json(post("u2", "/api/avatar/disconnect", Map.of()));
        assertThat(again.get("status").asText()).isEqualTo("success");
        assertThat(again.get("message").asText()).isEqualTo("No avatar was connected");
        HttpResponse<String> none = get("u2", "/api/webrtc/headers");
        assertThat(none.statusCode()).isEqualTo(409);
        assertThat(json(none).get("error").asText()).isEqualTo("conflict");
    }

    /** #19: the proxy forwards only LiveTalking's API ({@code avatars.proxyPaths}); the avatar's other pages are 404. */
    @Test
    void pathsOutsideLiveTalkingsApiAreNotForwarded() throws Exception {
        start(a -> { });
        startAvatar("u1", FakeAvatars.ANNA);
        for (String path : List.of("/api/webrtc/admin", "/api/webrtc/docs", "/api/webrtc/shutdown")) {
            HttpResponse<String> r = get("u1", path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
            assertThat(json(r).get("error").asText()).isEqualTo("not_found");
        }
        HttpResponse<String> spoken = get("u1", "/api/webrtc/__spoken"); // a path the test config adds: forwarded
        assertThat(spoken.statusCode()).isEqualTo(200);
    }

    /** #19: with every slot taken a start waits in line, then answers 503 with Retry-After (not 503 forever). */
    @Test
    void aStartThatFindsNoSlotInTimeIs503WithRetryAfter() throws Exception {
        start(a -> a.put("maxInstancesPerGpu", 1).put("maxUsersPerInstance", 1).put("maxWaitMillis", 300)
                .putArray("gpus").add("0"));
        startAvatar("u1", FakeAvatars.ANNA);
        HttpResponse<String> full = post("u2", "/api/avatar/start", Map.of("avatar_name", FakeAvatars.BOB));
        assertThat(full.statusCode()).as(full.body()).isEqualTo(503);
        assertThat(json(full).get("error").asText()).isEqualTo("service_unavailable");
        assertThat(full.headers().firstValue("retry-after").map(Long::parseLong).orElse(0L)).isPositive();
        assertThat(get("u2", "/api/webrtc/headers").statusCode()).isEqualTo(409);
    }

    /** #19: a user who stops using their avatar loses its slot after avatars.leaseMillis. */
    @Test
    void anAvatarLeftUnusedIsReleasedWhenItsLeaseRunsOut() throws Exception {
        start(a -> a.put("leaseMillis", 2000));
        startAvatar("u1", FakeAvatars.ANNA);
        // watched without using the avatar (a proxied request would renew the lease)
        await().atMost(WAIT).until(() -> manager.target("u1").equals(ProxyTarget.NONE));
        HttpResponse<String> gone = get("u1", "/api/webrtc/headers");
        assertThat(gone.statusCode()).isEqualTo(409);
        assertThat(json(gone).get("message").asText()).contains("no avatar started");
        await().atMost(WAIT).until(() -> store.hget(AvatarService.USERS_KEY, "u1").isEmpty());
        assertThat(manager.instances()).allSatisfy(v -> assertThat(v.users()).isEmpty());
    }

    @Test
    void startErrorsAreJsonWithTheRightStatus() throws Exception {
        start(a -> a.put("readyTimeoutMillis", 1500));
        assertThat(post(null, "/api/avatar/start", Map.of("avatar_name", FakeAvatars.ANNA)).statusCode()).isEqualTo(401);
        HttpResponse<String> unknown = post("u1", "/api/avatar/start", Map.of("avatar_name", "nobody"));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("error").asText()).isEqualTo("not_found");
        assertThat(post("u1", "/api/avatar/start", Map.of("avatar_name", 7)).statusCode()).isEqualTo(400);
        assertThat(post("u1", "/api/avatar/start", Map.of("avatar_name", FakeAvatars.RETIRED)).statusCode())
                .isEqualTo(409);
        HttpResponse<String> ghost = post("u1", "/api/avatar/start", Map.of("avatar_name", FakeAvatars.GHOST));
        assertThat(ghost.statusCode()).isEqualTo(504);
        assertThat(json(ghost).get("error").asText()).isEqualTo("gateway_timeout");
        await().atMost(WAIT).until(() -> manager.instances().isEmpty());
    }

    @Test
    void largeBodiesStreamThroughBothWaysIntact() throws Exception {
        start(a -> { });
        startAvatar("u1", FakeAvatars.ANNA);
        long n = 24L * 1024 * 1024 + 7;
        HttpResponse<InputStream> big = client.send(HttpRequest.newBuilder(uri("/api/webrtc/bytes?n=" + n))
                .header("Authorization", "Bearer t-u1").timeout(WAIT).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(big.statusCode()).isEqualTo(200);
        long total = 0;
        try (InputStream in = big.body()) {
            byte[] buf = new byte[65536];
            int r;
            while ((r = in.read(buf)) > 0) {
                for (int i = 0; i < r; i++) {
                    if (buf[i] != (byte) ('a' + (int) ((total + i) % 16384) % 26)) {
                        throw new AssertionError("byte " + (total + i) + " differs");
                    }
                }
                total += r;
            }
        }
        assertThat(total).isEqualTo(n);

        byte[] upload = new byte[9 * 1024 * 1024];
        new Random(42).nextBytes(upload);
        HttpResponse<byte[]> echoed = client.send(HttpRequest.newBuilder(uri("/api/webrtc/echo"))
                .header("Authorization", "Bearer t-u1").header("Content-Type", "application/octet-stream")
                .timeout(WAIT).POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(echoed.statusCode()).isEqualTo(200);
        assertThat(MessageDigest.getInstance("SHA-256").digest(echoed.body()))
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(upload));

        // a body of unknown length comes chunked, and goes to the avatar chunked again
        HttpResponse<byte[]> chunked = client.send(HttpRequest.newBuilder(uri("/api/webrtc/echo"))
                .header("Authorization", "Bearer t-u1").header("Content-Type", "application/octet-stream")
                .timeout(WAIT).POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(upload)))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(chunked.statusCode()).isEqualTo(200);
        assertThat(MessageDigest.getInstance("SHA-256").digest(chunked.body()))
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(upload));
    }

    @Test
    void whatAnAvatarSendsAsRawBytesReachesTheBrowserFramedAndCleaned() throws Exception {
        start(a -> { });
        startAvatar("u1", FakeAvatars.RAW);
        int port = ((InetSocketAddress) listener.localAddress()).getPort();

        // a body that ends when the avatar hangs up goes to the browser chunked: its connection stays usable
        HttpResponse<String> untilClose = get("u1", "/api/webrtc/until_close?n=20000");
        assertThat(untilClose.statusCode()).isEqualTo(200);
        assertThat(untilClose.headers().firstValue("transfer-encoding")).hasValue("chunked");
        assertThat(untilClose.body()).hasSize(20000);
        for (int i = 0; i < 20000; i++) {
            assertThat(untilClose.body().charAt(i)).as("byte " + i).isEqualTo((char) ('a' + i % 26));
        }
        // a head that arrives a byte at a time
        HttpResponse<String> split = get("u1", "/api/webrtc/split");
        assertThat(split.statusCode()).isEqualTo(200);
        assertThat(split.body()).isEqualTo("ok");
        assertThat(split.headers().firstValue("x-split")).hasValue("yes");
        // a 1xx is not an answer: the final response follows it
        HttpResponse<String> cont = get("u1", "/api/webrtc/continue");
        assertThat(cont.statusCode()).isEqualTo(200);
        assertThat(cont.body()).isEqualTo("final");
        // a chunked body passes as it came, extension and trailer included; a Content-Length beside it does not
        String chunked = raw(port, "GET /api/webrtc/chunked HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t-u1\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(chunked).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("transfer-encoding: chunked\r\n")
                .doesNotContainIgnoringCase("content-length")
                .endsWith("\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n");
        // the avatar's hop-by-hop, cookie, CORS and request-id headers stay behind; its own pass
        HttpResponse<String> hop = get("u1", "/api/webrtc/hop");
        assertThat(hop.body()).isEqualTo("ok");
        assertThat(hop.headers().firstValue("x-avatar")).hasValue("yes");
        assertThat(hop.headers().allValues("x-request-id")).hasSize(1).doesNotContain("from-avatar");
        for (String gone : List.of("set-cookie", "keep-alive", "x-gone", "access-control-allow-origin")) {
            assertThat(hop.headers().firstValue(gone)).as(gone).isEmpty();
        }
        // the answer to a HEAD has no body, whatever its length says, and the connection goes on
        HttpResponse<Void> head = client.send(HttpRequest.newBuilder(uri("/api/webrtc/hop")).timeout(WAIT)
                .header("Authorization", "Bearer t-u1").method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("content-length")).hasValue("2");
        assertThat(get("u1", "/api/webrtc/split").body()).isEqualTo("ok");

        // what is not HTTP is a 502 before the first byte, a cut connection after it
        for (String bad : List.of("garbage", "bad_header")) {
            HttpResponse<String> r = get("u1", "/api/webrtc/" + bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(502);
            assertThat(json(r).get("message").asText()).as(bad).contains("invalid response");
        }
        String cut = raw(port, "GET /api/webrtc/cut HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t-u1\r\n\r\n");
        assertThat(cut).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("content-length: 100").endsWith("\r\n\r\nonly ten b");
        assertThat(get("u1", "/api/webrtc/hop").statusCode()).isEqualTo(200);
    }

    @Test
    void aClientThatStopsReadingStopsTheAvatarReadsInsteadOfFillingMemory() throws Exception {
        start(a -> { });
        startAvatar("u1", FakeAvatars.ANNA);
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new InetSocketAddress("127.0.0.1", port));
            s.getOutputStream().write(("GET /api/webrtc/bytes?n=" + (512L * 1024 * 1024) + " HTTP/1.1\r\nHost: x\r\n"
                    + "Authorization: Bearer t-u1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            // the browser leg fills up and turns unwritable; from then on the avatar leg is not read
            // the channel is taken at the moment it is seen unwritable: it may turn writable again right after
            AtomicReference<Channel> unwritable = new AtomicReference<>();
            await().atMost(WAIT).until(() -> {
                channels.stream().filter(c -> !c.isWritable()).findFirst().ifPresent(unwritable::set);
                return unwritable.get() != null;
            });
            Channel front = unwritable.get();
            long bound = 65536 + 2 * 65536; // high water mark + one read of the avatar leg + one HTTP chunk
            await().during(Duration.ofMillis(500)).atMost(WAIT)
                    .until(() -> front.unsafe().outboundBuffer() == null
                            || front.unsafe().outboundBuffer().totalPendingWriteBytes() <= bound);
            // reading again drains it all: nothing was dropped
            InputStream in = s.getInputStream();
            byte[] buf = new byte[1 << 16];
            long body = 0;
            String head = null;
            StringBuilder headBuf = new StringBuilder();
            while (head == null) {
                int b = in.read();
                headBuf.append((char) b);
                if (headBuf.toString().endsWith("\r\n\r\n")) {
                    head = headBuf.toString();
                }
            }
            assertThat(head).startsWith("HTTP/1.1 200");
            long target = 16L * 1024 * 1024;
            while (body < target) {
                int r = in.read(buf);
                assertThat(r).isPositive();
                body += r;
            }
        }
    }

    @Test
    void keepAliveBackendConnectionsAreReusedAndOnlyTheAvatarsHeadersPass() throws Exception {
        start(a -> { });
        JsonNode started = startAvatar("u1", FakeAvatars.ANNA);
        HttpRequest req = HttpRequest.newBuilder(uri("/api/webrtc/headers?x=1&y=%20z"))
                .header("Authorization", "Bearer t-u1").header("Cookie", "secret=1").timeout(WAIT).build();
        JsonNode one = json(client.send(req, HttpResponse.BodyHandlers.ofString()));
        JsonNode two = json(client.send(req, HttpResponse.BodyHandlers.ofString()));
        assertThat(two.get("remote_port").asInt()).isEqualTo(one.get("remote_port").asInt());
        assertThat(one.get("uri").asText()).isEqualTo("/headers?x=1&y=%20z");
        assertThat(one.get("host").asText()).isEqualTo("127.0.0.1:" + started.get("port").asInt());
        assertThat(one.has("authorization")).isFalse();
        assertThat(one.has("cookie")).isFalse();
        assertThat(one.get("x-forwarded-for").asText()).isEqualTo("127.0.0.1");
    }

    @Test
    void pathTricksOtherHostsAndPortsAreRefused() throws Exception {
        start(a -> { });
        JsonNode started = startAvatar("u1", FakeAvatars.ANNA);
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        for (String target : List.of("/api/webrtc/../avatar/list", "/api/webrtc/%2e%2e", "/api/webrtc/a%2Fb",
                "/api/webrtc/offer%3Fx", "/api/webrtc/.hidden", "/api/webrtc/a/b",
                "http://127.0.0.1:22/api/webrtc/headers", "/api/webrtc/@evil.example")) {
            String head = raw(port, "GET " + target + " HTTP/1.1\r\nHost: evil.example:22\r\n"
                    + "Authorization: Bearer t-u1\r\nConnection: close\r\n\r\n");
            assertThat(head).as(target).startsWith("HTTP/1.1 404").contains("not_found");
        }
        // a Host header naming another place changes nothing: the request still goes to the caller's own instance
        String ok = raw(port, "GET /api/webrtc/headers HTTP/1.1\r\nHost: 10.0.0.1:6379\r\n"
                + "Authorization: Bearer t-u1\r\nConnection: close\r\n\r\n");
        assertThat(ok).startsWith("HTTP/1.1 200").contains("\"host\":\"127.0.0.1:" + started.get("port").asInt() + "\"");
        assertThat(raw(port, "GET /api/webrtc/headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 401");
    }

    private static String raw(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aSlowAvatarGets504AndTheProxyKeepsServing() throws Exception {
        start(a -> a.put("requestTimeoutMillis", 300));
        startAvatar("u1", FakeAvatars.ANNA);
        HttpResponse<String> slow = get("u1", "/api/webrtc/slow?millis=3000");
        assertThat(slow.statusCode()).isEqualTo(504);
        assertThat(json(slow).get("error").asText()).isEqualTo("gateway_timeout");
        assertThat(get("u1", "/api/webrtc/headers").statusCode()).isEqualTo(200);
    }

    @Test
    void aCrashedInstanceAnswers502UntilTheUserStartsItAgain() throws Exception {
        start(a -> { });
        JsonNode first = startAvatar("u1", FakeAvatars.ANNA);
        assertThat(get("u1", "/api/webrtc/headers").statusCode()).isEqualTo(200);
        long pid = manager.instances().get(0).pid();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        await().atMost(WAIT).until(() -> manager.target("u1") instanceof ProxyTarget.Crashed);

        HttpResponse<String> down = get("u1", "/api/webrtc/headers");
        assertThat(down.statusCode()).isEqualTo(502);
        assertThat(json(down).get("error").asText()).isEqualTo("bad_gateway");
        assertThat(json(down).get("message").asText()).contains("/api/avatar/start");

        JsonNode again = startAvatar("u1", FakeAvatars.ANNA);
        assertThat(again.get("is_new_instance").asBoolean()).isTrue();
        assertThat(again.get("instance_id").asText()).isNotEqualTo(first.get("instance_id").asText());
        assertThat(get("u1", "/api/webrtc/headers").statusCode()).isEqualTo(200);
    }

    @Test
    void theRealServerListsTheShippedCatalogueAndStopsCleanly() throws Exception {
        server = LecternServer.start(TestConfigs.defaults(), Map.of());
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort()
                + "/api/avatar/list")).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode avatar = json(r).get("tutor-anna");
        assertThat(avatar.get("name").asText()).isEqualTo("tutor-anna");
        assertThat(avatar.get("clone").asBoolean()).isFalse();
        assertThat(avatar.get("timbre").asText()).isEqualTo("en-US-AriaNeural");
        assertThat(avatar.get("status").asText()).isEqualTo("active");
        assertThat(avatar.get("tts_model").asText()).isEqualTo("edgetts");
        assertThat(avatar.get("avatar_model").asText()).isEqualTo("wav2lip");
        assertThat(avatar.get("support_clone").asBoolean()).isFalse();
        JsonNode health = json(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort()
                + "/api/health")).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString()));
        assertThat(health.at("/components/avatars/status").asText()).isEqualTo("up");
        assertThat(health.at("/components/avatars/detail").asText()).isEqualTo("0 ready, 0 starting, capacity 2");
        HttpResponse<String> proxy = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.httpPort() + "/api/webrtc/offer")).timeout(WAIT).POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(proxy.statusCode()).isEqualTo(401);
    }
}

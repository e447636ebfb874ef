package dev.lectern.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.InMemoryEphemeralStore;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** External mode against a real HTTP avatar manager (a small server in this test). */
class ExternalAvatarManagerIntegrationTest {
    private HttpServer upstream;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final AtomicReference<String> startAnswer = new AtomicReference<>();
    private final AtomicReference<String> healthAnswer = new AtomicReference<>("{\"status\":\"healthy\"}");
    private final InMemoryEphemeralStore store = new InMemoryEphemeralStore();
    private final ExecutorService storeThread = Executors.newSingleThreadExecutor();
    private ExternalAvatarManager manager;
    private dev.lectern.core.netty.SharedHttpClient http;
    private AvatarsConfig config;

    @BeforeEach
    void start() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        upstream.createContext("/", ex -> {
            try (ex) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                received.add(ex.getRequestURI().getPath() + " " + body);
                String path = ex.getRequestURI().getPath();
                String answer = path.endsWith("/avatar/start") ? startAnswer.get()
                        : path.endsWith("/health") ? healthAnswer.get()
                        : "{\"status\":\"success\",\"message\":\"ok\"}";
                int status = answer.startsWith("HTTP ") ? Integer.parseInt(answer.substring(5)) : 200;
                byte[] bytes = (status == 200 ? answer : "oops").getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(status, bytes.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        });
        upstream.start();
        String url = "http://127.0.0.1:" + upstream.getAddress().getPort() + "/avatars/";
        config = FakeAvatars.avatars(a -> a.put("mode", "external").put("externalUrl", url)
                .put("connectTimeoutMillis", 10000)); // a loaded machine's first request may take seconds
        http = dev.lectern.core.netty.SharedHttpClient.create("test-avatar-external", 1, Duration.ofSeconds(2));
        manager = (ExternalAvatarManager) AvatarService.create(config, java.nio.file.Path.of("."), store, storeThread,
                http.client());
    }

    @AfterEach
    void stop() throws Exception {
        manager.close();
        http.close();
        upstream.stop(0);
        storeThread.shutdown();
        storeThread.awaitTermination(5, TimeUnit.SECONDS);
        store.close();
    }

    private static <T> T join(CompletionStage<T> s) {
        return s.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    }

    private static AvatarException failure(CompletionStage<?> s) {
        try {
            join(s);
        } catch (CompletionException e) {
            return (AvatarException) e.getCause();
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void startAndDisconnectAreForwardedAsTheSeedsBackendSpeaksAndTheMappingKept() throws Exception {
        int port = config.portRangeStart() + 3;
        startAnswer.set("{\"status\":\"success\",\"port\":" + port + ",\"gpu\":1,\"connections\":2,"
                + "\"is_new_instance\":false,\"instance_id\":\"ext-7\"}");
        AvatarAssignment a = join(manager.start("u1", FakeAvatars.ANNA));
        assertThat(a).isEqualTo(new AvatarAssignment(FakeAvatars.ANNA, "ext-7", port, "1", 2, false));
        assertThat(received.get(0)).startsWith("/avatars/avatar/start ");
        JsonNode sent = Json.MAPPER.readTree(received.get(0).substring("/avatars/avatar/start ".length()));
        assertThat(sent.get("avatar_id").asText()).isEqualTo(FakeAvatars.ANNA + "_user_u1");
        assertThat(sent.get("avatar_name").asText()).isEqualTo(FakeAvatars.ANNA);
        assertThat(manager.target("u1")).isEqualTo(new ProxyTarget.Ready(port, "ext-7"));
        assertThat(manager.currentAvatar("u1")).hasValue(FakeAvatars.ANNA);
        await().atMost(Duration.ofSeconds(10)).until(() -> store.hget(AvatarService.USERS_KEY, "u1").isPresent());

        // switching avatar: the old one is disconnected first, by its name, then the new one started
        startAnswer.set("{\"status\":\"success\",\"port\":" + (port + 1) + "}");
        AvatarAssignment b = join(manager.start("u1", FakeAvatars.BOB));
        assertThat(b.instanceId()).isEqualTo(FakeAvatars.BOB + "_user_u1");
        assertThat(received.get(1)).startsWith("/avatars/avatar/disconnect ");
        assertThat(Json.MAPPER.readTree(received.get(1).substring("/avatars/avatar/disconnect ".length()))
                .get("avatar_name").asText()).isEqualTo(FakeAvatars.ANNA);
        assertThat(received.get(2)).startsWith("/avatars/avatar/start ");

        assertThat(join(manager.disconnect("u1"))).isTrue();
        assertThat(received.get(3)).startsWith("/avatars/avatar/disconnect ");
        assertThat(Json.MAPPER.readTree(received.get(3).substring("/avatars/avatar/disconnect ".length()))
                .get("avatar_name").asText()).isEqualTo(FakeAvatars.BOB);
        assertThat(manager.target("u1")).isEqualTo(ProxyTarget.NONE);
        assertThat(join(manager.disconnect("u1"))).isFalse();
        assertThat(received).hasSize(4);
    }

    @Test
    void healthIsTheManagersHealthRoute() {
        dev.lectern.core.health.HealthCheck.HealthStatus health = manager.check();
        assertThat(health.up()).as(health.detail()).isTrue();
        assertThat(received).containsExactly("/avatars/health ");
        healthAnswer.set("HTTP 503");
        assertThat(manager.check().up()).isFalse();
    }

    @Test
    void aSeedStyleErrorAnswerIsAnUpstreamError() {
        startAnswer.set("{\"status\":\"error\",\"message\":\"no GPU left\"}");
        AvatarException e = failure(manager.start("u1", FakeAvatars.ANNA));
        assertThat(e.kind()).isEqualTo(AvatarException.Kind.UPSTREAM);
        assertThat(e.getMessage()).contains("no GPU left");
    }

    @Test
    void aPortOutsideTheRangeIsRefusedSoTheProxyCannotBeAimedElsewhere() {
        startAnswer.set("{\"port\":22}");
        AvatarException e = failure(manager.start("u1", FakeAvatars.ANNA));
        assertThat(e.kind()).isEqualTo(AvatarException.Kind.UPSTREAM);
        assertThat(e.getMessage()).contains("outside");
        assertThat(manager.target("u1")).isEqualTo(ProxyTarget.NONE);
    }

    @Test
    void refusalsErrorsAndNonsenseBecomeUpstreamErrors() {
        startAnswer.set("{\"code\":-1,\"msg\":\"no GPU left\"}");
        assertThat(failure(manager.start("u1", FakeAvatars.ANNA)).getMessage()).contains("no GPU left");
        startAnswer.set("HTTP 500");
        assertThat(failure(manager.start("u1", FakeAvatars.ANNA)).getMessage()).contains("HTTP 500");
        startAnswer.set("not json");
        assertThat(failure(manager.start("u1", FakeAvatars.ANNA)).kind()).isEqualTo(AvatarException.Kind.UPSTREAM);
        assertThat(failure(manager.start("u1", "nobody")).kind()).isEqualTo(AvatarException.Kind.UNKNOWN_AVATAR);
        assertThat(manager.check().up()).isTrue();
        upstream.stop(0);
        assertThat(failure(manager.start("u1", FakeAvatars.ANNA)).getMessage()).contains("not reachable");
        assertThat(manager.check().up()).isFalse();
    }
}

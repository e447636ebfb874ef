package dev.lectern.avatars;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.lectern.ai.conversation.SentenceSink.TurnInfo;
import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.netty.SharedHttpClient;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.media.AvatarAssignment;
import dev.lectern.media.AvatarEvent;
import dev.lectern.media.AvatarService;
import dev.lectern.media.ProxyTarget;
import dev.lectern.media.livetalking.LiveTalkingClient;
import dev.lectern.testing.HeldThreads;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The avatar's voice over a real socket to a LiveTalking-shaped server: once an answer is prepared (its session id
 * read on a thread that may block), its sentences go out while every blocking thread is busy, one at a time and in
 * order, and a barge-in's {@code /interrupt_talk} follows them.
 */
class AvatarVoiceSendsIntegrationTest {
    private final InMemoryEphemeralStore store = new InMemoryEphemeralStore();
    private final ExecutorService blocking = Executors.newSingleThreadExecutor();
    private final SharedHttpClient http = SharedHttpClient.create("test-avatar-voice", 1, Duration.ofSeconds(5));
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger overlapping = new AtomicInteger();
    private HttpServer avatar;

    @BeforeEach
    void start() throws Exception {
        avatar = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        avatar.setExecutor(Executors.newFixedThreadPool(4));
        avatar.createContext("/", ex -> {
            try (ex) {
                if (inFlight.incrementAndGet() > 1) {
                    overlapping.incrementAndGet();
                }
                JsonNode body = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
                calls.add(ex.getRequestURI().getPath() + " " + body.get("sessionid") + " " + body.path("text").asText());
                Thread.sleep(30); // a slow avatar: a send that did not wait for the previous one would overlap it
                byte[] ok = "{\"code\":0}".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, ok.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(ok);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        });
        avatar.start();
    }

    @AfterEach
    void stop() {
        avatar.stop(0);
        http.close();
        blocking.shutdownNow();
        store.close();
    }

    @Test
    void aPreparedAnswerIsSpokenInOrderWhileTheBlockingExecutorIsBusy() throws Exception {
        store.set("session:u1", "123456", null);
        AvatarVoice voice = new AvatarVoice(new OneReadyAvatar(avatar.getAddress().getPort()),
                new LiveTalkingClient(http.client(), Duration.ofSeconds(5), Duration.ofSeconds(5)), store,
                user -> "session:" + user, blocking);
        TurnInfo turn = new TurnInfo("u1", "s1", 7, null);
        voice.starting(turn); // before the model is asked, on a thread that may block

        try (HeldThreads held = HeldThreads.hold(blocking, 1)) {
            voice.accept(turn, 0, "One.");
            voice.accept(turn, 1, "Two.");
            voice.accept(turn, 2, "Three.");
            await().atMost(Duration.ofSeconds(30)).until(() -> calls.size() == 3);
            voice.accept(turn, 3, "Four.");
            voice.interrupted(turn); // barge-in: what is still queued of the answer is dropped, then the avatar stops
            await().atMost(Duration.ofSeconds(30)).until(() -> calls.get(calls.size() - 1).startsWith("/interrupt"));
            assertThat(calls).startsWith("/human 123456 One.", "/human 123456 Two.", "/human 123456 Three.")
                    .endsWith("/interrupt_talk 123456 ").hasSizeBetween(4, 5);
            assertThat(overlapping.get()).as("each send waited for the previous one").isZero();
        }
    }

    @Test
    void anAnswerThatWasNotPreparedReadsTheSessionIdOnTheBlockingExecutor() {
        store.set("session:u1", "\"abc-uuid\"", null);
        AvatarVoice voice = new AvatarVoice(new OneReadyAvatar(avatar.getAddress().getPort()),
                new LiveTalkingClient(http.client(), Duration.ofSeconds(5), Duration.ofSeconds(5)), store,
                user -> "session:" + user, blocking);
        TurnInfo turn = new TurnInfo("u1", "s1", 8, null);
        voice.accept(turn, 0, "Hello.");
        voice.accept(turn, 1, "Again.");
        await().atMost(Duration.ofSeconds(30)).until(() -> calls.size() == 2);
        assertThat(calls).containsExactly("/human \"abc-uuid\" Hello.", "/human \"abc-uuid\" Again.");
    }

    /** User {@code u1}'s avatar is ready on {@code port}; nobody else has one. */
    private record OneReadyAvatar(int port) implements AvatarService {
        @Override
        public ProxyTarget target(String userId) {
            return userId.equals("u1") ? new ProxyTarget.Ready(port, "i1") : ProxyTarget.NONE;
        }

        @Override
        public List<AvatarsConfig.Avatar> catalogue() {
            return List.of();
        }

        @Override
        public CompletionStage<AvatarAssignment> start(String userId, String avatarName) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletionStage<AvatarAssignment> start(String userId, AvatarsConfig.Avatar avatar) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletionStage<Boolean> disconnect(String userId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<String> currentAvatar(String userId) {
            return Optional.empty();
        }

        @Override
        public void addListener(Consumer<AvatarEvent> listener) {
        }

        @Override
        public HealthStatus check() {
            return HealthStatus.up("test");
        }

        @Override
        public void close() {
        }
    }
}

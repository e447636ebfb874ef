package dev.lectern.media.livetalking;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.netty.SharedHttpClient;
import dev.lectern.media.FakeAvatars;
import dev.lectern.media.LocalAvatarManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against real LiveTalking-compatible processes of both session-id generations. */
class LiveTalkingClientIntegrationTest {
    @TempDir
    static Path data;

    private static InMemoryEphemeralStore store;
    private static LocalAvatarManager manager;
    private static SharedHttpClient http;
    private static LiveTalkingClient client;
    private static int intPort;
    private static int uuidPort;

    @BeforeAll
    static void start() {
        store = new InMemoryEphemeralStore();
        manager = new LocalAvatarManager(FakeAvatars.avatars(a -> { }), data, store);
        http = SharedHttpClient.create("test-livetalking", 1, Duration.ofSeconds(2));
        client = new LiveTalkingClient(http.client(), Duration.ofSeconds(10), Duration.ofSeconds(3));
        intPort = join(manager.start("u1", FakeAvatars.ANNA)).port();
        uuidPort = join(manager.start("u2", FakeAvatars.BOB)).port();
    }

    @AfterAll
    static void stop() throws Exception {
        http.close(); // awaited: the leak check after this class must see a quiet heap
        manager.close();
        store.close();
    }

    private static <T> T join(CompletionStage<T> stage) {
        return stage.toCompletableFuture().orTimeout(60, TimeUnit.SECONDS).join();
    }

    private static LiveTalkingException failure(CompletionStage<?> stage) {
        try {
            join(stage);
        } catch (CompletionException e) {
            if (e.getCause() instanceof LiveTalkingException lt) {
                return lt;
            }
            throw e;
        }
        throw new AssertionError("expected a LiveTalkingException");
    }

    @Test
    void intSessionIdsStayIntsThroughOfferHumanInterruptAndIsSpeaking() {
        OfferAnswer answer = join(client.offer(intPort, "v=0\r\n", "offer"));
        assertThat(answer.type()).isEqualTo("answer");
        assertThat(answer.sdp()).startsWith("v=0");
        assertThat(answer.sessionId()).isInstanceOf(IntNode.class);

        join(client.human(intPort, answer.sessionId(), "One.", false));
        join(client.human(intPort, answer.sessionId(), "Two.", false));
        assertThat(join(client.isSpeaking(intPort, answer.sessionId()))).isTrue();
        join(client.interruptTalk(intPort, answer.sessionId()));
        assertThat(join(client.isSpeaking(intPort, answer.sessionId()))).isFalse();
    }

    @Test
    void uuidSessionIdsStayStrings() {
        OfferAnswer answer = join(client.offer(uuidPort, "v=0\r\n", "offer"));
        assertThat(answer.sessionId()).isInstanceOf(TextNode.class);
        join(client.human(uuidPort, answer.sessionId(), "Hello.", true));
        assertThat(join(client.isSpeaking(uuidPort, answer.sessionId()))).isTrue();
    }

    @Test
    void codeMinusOneBecomesARefusalWithTheAvatarsMessage() {
        JsonNode wrongType = TextNode.valueOf("123456");
        LiveTalkingException e = failure(client.human(intPort, wrongType, "x", false));
        assertThat(e.reason()).isEqualTo(LiveTalkingException.Reason.REFUSED);
        assertThat(e.httpStatus()).isEqualTo(200);
        assertThat(e.avatarMessage()).isEqualTo("session not found");
        assertThat(e.getMessage()).contains("/human").contains("session not found");
    }

    @Test
    void aFullAvatarRefusesTheOfferWithItsSessionLimit(@TempDir Path own) {
        // an instance of its own: the fake runs with --max_session 2
        try (LocalAvatarManager m = new LocalAvatarManager(FakeAvatars.avatars(a -> { }), own, store)) {
            int port = join(m.start("u9", FakeAvatars.ANNA)).port();
            join(client.offer(port, "v=0\r\n", "offer"));
            join(client.offer(port, "v=0\r\n", "offer"));
            LiveTalkingException e = failure(client.offer(port, "v=0\r\n", "offer"));
            assertThat(e.reason()).isEqualTo(LiveTalkingException.Reason.REFUSED);
            assertThat(e.avatarMessage()).isEqualTo("Maximum session limit reached (2/2)");
        }
    }

    @Test
    void anUnreachableAvatarIsToldApartFromARefusal() {
        int closedPort = intPort + 100 > 65535 ? intPort - 100 : intPort + 100;
        LiveTalkingException down = failure(client.human(closedPort, IntNode.valueOf(1), "x", false));
        assertThat(down.reason()).isEqualTo(LiveTalkingException.Reason.UNREACHABLE);
        assertThat(down.httpStatus()).isZero();
    }
}

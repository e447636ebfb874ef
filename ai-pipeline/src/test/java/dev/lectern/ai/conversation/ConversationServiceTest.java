package dev.lectern.ai.conversation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lectern.ai.AiPipeline;
import dev.lectern.ai.llm.ChatException;
import dev.lectern.ai.llm.Usage;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTtsServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.testing.HeldThreads;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import dev.lectern.core.netty.SharedHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Conversation orchestration against a fake upstream, with the in-memory chat store. */
class ConversationServiceTest {
    private final InMemoryChatStore store = new InMemoryChatStore();
    private final InMemoryEphemeralStore ephemeral = new InMemoryEphemeralStore();
    private final ExecutorService blocking = Executors.newFixedThreadPool(2);
    @TempDir
    Path dir;
    private LocalObjectStore objects;
    private final List<String> sentences = new CopyOnWriteArrayList<>();
    private FakeModelServer upstream;
    private AiPipeline ai;
    private final SharedHttpClient http = SharedHttpClient.create("test-http", 1, Duration.ofSeconds(5));

    @BeforeEach
    void setUp() throws Exception {
        upstream = new FakeModelServer();
        objects = new LocalObjectStore(dir.resolve("objects"), new UrlSigner(new byte[32]), "/api/objects/",
                Clock.systemUTC());
    }

    @AfterEach
    void tearDown() {
        if (ai != null) {
            ai.close();
        }
        http.close();
        upstream.close();
        blocking.shutdownNow();
        ephemeral.close();
    }

    private ConversationService service(AiConfig config) {
        ai = new AiPipeline(config, new Secrets(Map.of()), ephemeral, store, PersonaLookup.defaultOnly("Be a tutor."),
                (turn, index, sentence) -> sentences.add(index + ":" + sentence), blocking, objects,
                Duration.ofMinutes(5), dir, null, http.client());
        return ai.conversations();
    }

    private ConversationService service() {
        return service(TestAi.config(upstream.baseUrl()));
    }

    /** Collects one turn's events and pulls everything. */
    static final class Collect implements TurnListener {
        final List<String> texts = new CopyOnWriteArrayList<>();
        volatile Result result;
        volatile String error;
        volatile String interrupted;
        final CountDownLatch end = new CountDownLatch(1);

        @Override
        public void onText(String text, long receivedNanos) {
            texts.add(text);
        }

        @Override
        public void onComplete(Result r) {
            result = r;
            end.countDown();
        }

        @Override
        public void onError(String code, String message) {
            error = code;
            end.countDown();
        }

        @Override
        public void onInterrupted(String reason) {
            interrupted = reason;
            end.countDown();
        }

        Collect await() throws InterruptedException {
            assertThat(end.await(30, TimeUnit.SECONDS)).as("turn ended").isTrue();
            return this;
        }
    }

    @Test
    void theUserMessageIsStoredBeforeTheModelIsAskedAndTheAnswerWhenComplete() throws Exception {
        ConversationService svc = service();
        List<String> storedWhenAsked = new ArrayList<>();
        upstream.enqueue(ex -> {
            for (String sessionId : List.of(lastSession())) {
                store.lastMessages(sessionId, 10).forEach(m -> storedWhenAsked.add(m.role() + ":" + m.content()));
            }
            FakeModelServer.answer("Photosynthesis turns light into sugar. Plants do it in leaves.").run(ex);
        });
        Collect c = new Collect();
        Turn t = svc.start("u1", "  What is photosynthesis?  ", null, null, c);
        t.request(Long.MAX_VALUE);
        c.await();
        assertThat(storedWhenAsked).containsExactly("USER:What is photosynthesis?");
        assertThat(store.lastMessages(t.sessionId(), 10)).extracting(m -> m.role() + ":" + m.status())
                .containsExactly("USER:COMPLETE", "ASSISTANT:COMPLETE");
        assertThat(c.result.text()).isEqualTo("Photosynthesis turns light into sugar. Plants do it in leaves.");
        assertThat(sentences).containsExactly("0:Photosynthesis turns light into sugar.", "1:Plants do it in leaves.");
        assertThat(ai.usage().modelTokensUsed("u1")).isEqualTo(13);
    }

    @Test
    void anOpenedTurnHasOnlyReadUntilItBeginsAndAFollowUpCarriesTheHistoryAndTheQuestionOnce() throws Exception {
        ConversationService svc = service();
        ChatStore.ChatSession s = store.createSession("u1", null);
        store.append(s.id(), ChatStore.Role.USER, "What is 2+2?", ChatStore.Status.COMPLETE);
        store.append(s.id(), ChatStore.Role.ASSISTANT, "Four.", ChatStore.Status.COMPLETE);
        upstream.enqueue(FakeModelServer.answer("Eight."));
        Collect c = new Collect();
        Turn t = svc.open("u1", "And 4+4?", s.id(), null, c);
        t.request(Long.MAX_VALUE); // demand before the model is asked is kept for it
        assertThat(store.lastMessages(s.id(), 10)).hasSize(2); // the stream could start: nothing written yet
        assertThat(upstream.requests()).isEmpty();

        t.begin();
        c.await();
        assertThat(c.result.text()).isEqualTo("Eight.");
        assertThat(upstream.requests().get(0).get("messages")).extracting(m -> m.get("role").asText() + ":"
                        + m.get("content").asText())
                .containsExactly("system:" + upstream.requests().get(0).get("messages").get(0).get("content").asText(),
                        "user:What is 2+2?", "assistant:Four.", "user:And 4+4?");
        assertThat(store.lastMessages(s.id(), 10)).extracting(m -> m.role() + ":" + m.content())
                .containsExactly("USER:What is 2+2?", "ASSISTANT:Four.", "USER:And 4+4?", "ASSISTANT:Eight.");
    }

    @Test
    void aTurnBegunWhileEveryOtherBlockingThreadIsBusyStillStoresItsQuestionAndIsAnswered() throws Exception {
        ConversationService svc = service();
        upstream.enqueue(FakeModelServer.answer("Eight."));
        // one of the two blocking threads is held until the turn has ended; the other begins the turn, whose question
        // write it would wait for behind the held one (100 turns on 32 threads did that): it must write it itself
        try (HeldThreads held = HeldThreads.hold(blocking, 1)) {
            Collect c = new Collect();
            Turn t = svc.open("u1", "And 4+4?", null, null, c);
            t.request(Long.MAX_VALUE);
            t.begin();
            c.await();
            assertThat(c.result.text()).isEqualTo("Eight.");
            assertThat(store.lastMessages(t.sessionId(), 10)).extracting(m -> m.role() + ":" + m.content())
                    .containsExactly("USER:And 4+4?", "ASSISTANT:Eight.");
        }
    }

    @Test
    void aSentenceGoesToSpeechWhileEveryBlockingThreadIsBusy() throws Exception {
        try (FakeTtsServer tts = new FakeTtsServer()) {
            ConversationService svc = service(TestAi.withTts(TestAi.config(upstream.baseUrl()),
                    new AiConfig.Tts("openai", tts.baseUrl() + "/v1", "", "tts-1", "alloy", 15_000, 1000)));
            CountDownLatch busy = new CountDownLatch(1);
            upstream.enqueue(ex -> {
                try {
                    busy.await(); // the sentence comes once both blocking threads are held
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ex.text("The derivative measures change. ").text("It is");
                ex.holdUntilClientGone();
            });
            Collect c = new Collect();
            Turn t = svc.start("u1", "What is a derivative?", null, null, c);
            t.request(Long.MAX_VALUE);
            // the speech budget is read before the model is asked; from then on a sentence's speech does not need a
            // blocking thread: its reservation is decided in memory and the TTS request goes out at once
            try (HeldThreads held = HeldThreads.hold(blocking, 2)) {
                busy.countDown();
                await().atMost(Duration.ofSeconds(30)).until(() -> !tts.calls.isEmpty());
                assertThat(tts.calls.get(0).body().get("input").asText()).isEqualTo("The derivative measures change.");
            } finally {
                t.cancel();
            }
            // the reservation is counted in the store afterwards
            await().untilAsserted(() -> assertThat(ephemeral.get("usage:tts:u1")).hasValue("31"));
        }
    }

    @Test
    void aTurnCancelledBeforeItBeganStillStoresTheQuestionAndAsksNothing() {
        ConversationService svc = service();
        Turn t = svc.open("u1", "Are you there?", null, null, new Collect());
        t.cancel(); // the client left before the stream started
        t.begin();
        t.begin(); // once only
        await().untilAsserted(() -> assertThat(store.lastMessages(t.sessionId(), 10))
                .extracting(m -> m.role() + ":" + m.content()).containsExactly("USER:Are you there?"));
        assertThat(upstream.requests()).isEmpty();
    }

    private String lastSession() {
        // the only session the test created
        return store.findSessionIds().get(0);
    }

    @Test
    void theContextKeepsThePersonaAndOnlyTheNewestTurnsThatFitTheBudget() {
        ConversationService svc = service();
        ChatStore.ChatSession s = store.createSession("u1", null);
        for (int i = 0; i < 50; i++) {
            store.append(s.id(), i % 2 == 0 ? ChatStore.Role.USER : ChatStore.Role.ASSISTANT, i + " " + "x".repeat(400),
                    ChatStore.Status.COMPLETE);
        }
        var context = svc.context(PersonaLookup.defaultOnly("Be a tutor.").defaultPersona(), s.id());
        assertThat(context.get(0).role()).isEqualTo("system");
        assertThat(context.get(0).content()).isEqualTo("Be a tutor.");
        long tokens = context.stream().mapToLong(m -> Usage.estimateTokens(m.content())).sum();
        assertThat(tokens).isLessThanOrEqualTo(3000);
        assertThat(context.size()).isBetween(20, 40);
        assertThat(context.get(context.size() - 1).content()).startsWith("49 ");
    }

    @Test
    void refusalsComeBeforeAnythingIsStored() {
        ConversationService svc = service();
        assertThatThrownBy(() -> svc.start("u1", " ", null, null, new Collect()))
                .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> svc.start("u1", "x".repeat(4001), null, null, new Collect()))
                .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.status()).isEqualTo(400));
        ChatStore.ChatSession other = store.createSession("someone-else", null);
        assertThatThrownBy(() -> svc.start("u1", "hi", other.id(), null, new Collect()))
                .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThatThrownBy(() -> svc.start("u1", "hi", null, "no-such-companion", new Collect()))
                .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThat(store.lastMessages(other.id(), 10)).isEmpty();
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void bargeInStoresThePartialAnswerBeforeTheNewMessage() throws Exception {
        ConversationService svc = service();
        upstream.enqueue(ex -> {
            ex.text("Let me explain");
            ex.holdUntilClientGone();
        });
        Collect first = new Collect();
        Turn t1 = svc.start("u1", "Explain gravity", null, null, first);
        t1.request(Long.MAX_VALUE);
        await().until(() -> !first.texts.isEmpty());
        upstream.enqueue(FakeModelServer.answer("Sure."));
        Collect second = new Collect();
        Turn t2 = svc.start("u1", "Wait, simpler please", t1.sessionId(), null, second);
        t2.request(Long.MAX_VALUE);
        first.await();
        second.await();
        assertThat(first.interrupted).isEqualTo("barge_in");
        assertThat(store.lastMessages(t1.sessionId(), 10))
                .extracting(m -> m.role() + ":" + m.content() + ":" + m.status())
                .containsExactly("USER:Explain gravity:COMPLETE", "ASSISTANT:Let me explain:INTERRUPTED",
                        "USER:Wait, simpler please:COMPLETE", "ASSISTANT:Sure.:COMPLETE");
        assertThat(upstream.awaitDisconnect(30)).isTrue();
    }

    @Test
    void expiredObjectsArePurgedPeriodically() throws Exception {
        service();
        objects.put("tts/old.wav", new byte[1]);
        objects.put("tts/new.wav", new byte[1]);
        java.nio.file.Files.setLastModifiedTime(objects.path("tts/old.wav"),
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(Duration.ofDays(2))));
        ai.purgeObjectsEvery(Duration.ofMillis(20), Duration.ofDays(1));
        await().until(() -> objects.get("tts/old.wav").isEmpty());
        assertThat(objects.get("tts/new.wav")).isPresent();
    }

    @Test
    void theOfflineProviderSaysNoModelIsConfiguredAndCostsNothing() throws Exception {
        ConversationService svc = service(TestAi.config(List.of(), 1000, 1000, 0, new AiConfig.Usage(60, 1, 0)));
        for (int i = 0; i < 2; i++) {
            Collect c = new Collect();
            Turn t = svc.start("u1", "hello", null, null, c);
            assertThat(t.offline()).isTrue();
            t.request(Long.MAX_VALUE);
            c.await();
            assertThat(c.result.offline()).isTrue();
            assertThat(c.result.text()).startsWith("No language model is configured");
        }
        assertThat(ai.usage().modelTokensUsed("u1")).isZero();
    }
}

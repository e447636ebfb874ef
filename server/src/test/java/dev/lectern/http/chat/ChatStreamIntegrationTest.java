package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTtsServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.http.AuthDecorator;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /api/chat/stream end to end: the production wiring on port 0, a fake model upstream, the JDK HttpClient. */
class ChatStreamIntegrationTest {
    private static final String TOKEN = "student-token";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private FakeModelServer upstream;
    private LecternServer server;

    @BeforeEach
    void setUp() throws Exception {
        upstream = new FakeModelServer();
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        upstream.close();
    }

    private void start(AiConfig ai) {
        ServerConfig d = TestConfigs.defaults(Map.of());
        server = LecternServer.start(d.withAi(ai),
                Map.of("FAKE_API_KEY", "sk-test"),
                AuthDecorator.fixed(TOKEN, new Principal("u1", Role.STUDENT, "t1")));
    }

    private void start() {
        start(TestAi.config(upstream.baseUrl()));
    }

    private HttpRequest.Builder post(String path, String json) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    private HttpResponse<InputStream> open(String json) throws Exception {
        return client.send(post("/api/chat/stream", json).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    private SseEvents chat(String json) throws Exception {
        HttpResponse<InputStream> r = open(json);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).get().asString().startsWith("text/event-stream");
        try (InputStream in = r.body()) {
            return SseEvents.read(in);
        }
    }

    private static String message(String text) {
        return Json.write(Map.of("message", text));
    }

    @Test
    void streamsEachPieceThenTheCompleteAnswerWithUsageAndEventIds() throws Exception {
        start();
        upstream.enqueue(ex -> {
            ex.raw(": OPENROUTER PROCESSING\n\n");
            FakeModelServer.answer("Hello", " there.", " How can I help?").run(ex);
        });
        SseEvents s = chat(message("Hi tutor"));
        assertThat(s.statuses()).containsExactly("started", "streaming", "streaming", "streaming", "complete");
        assertThat(s.chunks()).isEqualTo("Hello there. How can I help?");
        JsonNode done = s.last().data();
        assertThat(done.get("text").asText()).isEqualTo("Hello there. How can I help?");
        assertThat(done.get("session_id").asText()).isNotBlank();
        assertThat(done.get("usage").get("total_tokens").asLong()).isEqualTo(15);
        assertThat(done.get("offline").asBoolean()).isFalse();
        for (int i = 0; i < s.events.size(); i++) {
            assertThat(s.events.get(i).id()).isEqualTo(i + 1);
        }
        JsonNode sent = upstream.requests().get(0);
        assertThat(sent.get("messages").get(0).get("role").asText()).isEqualTo("system");
        assertThat(sent.get("messages").get(1).get("content").asText()).isEqualTo("Hi tutor");
    }

    @Test
    void aFollowUpInTheSameSessionCarriesTheStoredTurns() throws Exception {
        start();
        upstream.enqueue(FakeModelServer.answer("Four."));
        String session = chat(message("What is 2+2?")).last().data().get("session_id").asText();
        upstream.enqueue(FakeModelServer.answer("Eight."));
        SseEvents second = chat(Json.write(Map.of("message", "And 4+4?", "session_id", session)));
        assertThat(second.last().data().get("session_id").asText()).isEqualTo(session);
        JsonNode messages = upstream.requests().get(1).get("messages");
        assertThat(messages).extracting(m -> m.get("role").asText() + ":" + m.get("content").asText())
                .containsExactly("system:" + messages.get(0).get("content").asText(), "user:What is 2+2?",
                        "assistant:Four.", "user:And 4+4?");
    }

    @Test
    void aFormBodyWorksToo() throws Exception {
        start();
        upstream.enqueue(FakeModelServer.answer("ok"));
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.httpPort() + "/api/chat/stream"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("message=hello+there")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            assertThat(SseEvents.read(in).last().status()).isEqualTo("complete");
        }
        assertThat(upstream.requests().get(0).get("messages").get(1).get("content").asText()).isEqualTo("hello there");
    }

    @Test
    void aMidStreamErrorEndsTheStreamWithAnErrorEvent() throws Exception {
        start();
        upstream.enqueue(ex -> {
            ex.text("Partial answer");
            ex.raw("data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n");
        });
        SseEvents s = chat(message("Hi"));
        assertThat(s.statuses()).containsExactly("started", "streaming", "error");
        assertThat(s.last().data().get("code").asText()).isEqualTo("upstream_error");
        assertThat(s.last().data().get("message").asText()).contains("The server had an error");
    }

    @Test
    void aStalledModelEndsWithATimeoutErrorNotAHang() throws Exception {
        start(TestAi.config(List.of(TestAi.provider(upstream.baseUrl())), 10_000, 300, 1, null));
        upstream.enqueue(ex -> {
            ex.text("Thinking");
            ex.stall();
        });
        SseEvents s = chat(message("Hi"));
        assertThat(s.statuses()).containsExactly("started", "streaming", "error");
        assertThat(s.last().data().get("code").asText()).isEqualTo("upstream_timeout");
    }

    @Test
    void whenTheClientGoesAwayTheUpstreamIsCancelledAndThePartialAnswerStoredInterrupted() throws Exception {
        start();
        upstream.enqueue(ex -> {
            ex.text("I was saying");
            ex.holdUntilClientGone();
        });
        HttpResponse<InputStream> r = open(message("Tell me a long story"));
        InputStream in = r.body();
        byte[] buf = new byte[4096];
        StringBuilder seen = new StringBuilder();
        while (!seen.toString().contains("I was saying")) {
            int n = in.read(buf);
            assertThat(n).isPositive();
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        String session = Json.MAPPER.readTree(seen.substring(seen.indexOf("data: ") + 6, seen.indexOf("\n",
                seen.indexOf("data: ")))).get("session_id").asText();
        in.close(); // the client goes away mid-answer
        assertThat(upstream.awaitDisconnect(30)).isTrue();

        upstream.enqueue(FakeModelServer.answer("Where were we?"));
        await().untilAsserted(() -> {
            chat(Json.write(Map.of("message", "Go on", "session_id", session)));
            JsonNode messages = upstream.requests().get(upstream.requests().size() - 1).get("messages");
            assertThat(messages).extracting(m -> m.get("role").asText() + ":" + m.get("content").asText())
                    .contains("assistant:I was saying");
        });
    }

    @Test
    void aNewMessageFromTheSameUserInterruptsTheStreamingAnswer() throws Exception {
        start();
        upstream.enqueue(ex -> {
            ex.text("First answer");
            ex.holdUntilClientGone();
        });
        HttpResponse<InputStream> first = open(message("First question"));
        CompletableFuture<SseEvents> firstEvents = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = first.body()) {
                return SseEvents.read(in);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // once the upstream has the first request, the first answer is streaming
        await().until(() -> upstream.requests().size() == 1);
        upstream.enqueue(FakeModelServer.answer("Second answer"));
        SseEvents second = chat(message("Actually, another question"));
        assertThat(second.last().status()).isEqualTo("complete");
        SseEvents s = firstEvents.get();
        assertThat(s.last().status()).isEqualTo("interrupted");
        assertThat(s.last().data().get("reason").asText()).isEqualTo("barge_in");
        assertThat(upstream.awaitDisconnect(30)).isTrue();
    }

    @Test
    void withNoProviderTheOfflineAnswerSaysSoAndIsMarkedOffline() throws Exception {
        start(TestAi.config(List.of(), 10_000, 10_000, 0, null));
        SseEvents s = chat(message("Hello?"));
        assertThat(s.events.get(0).data().get("offline").asBoolean()).isTrue();
        assertThat(s.events).filteredOn(e -> e.status().equals("streaming"))
                .allSatisfy(e -> assertThat(e.data().get("offline").asBoolean()).isTrue());
        JsonNode done = s.last().data();
        assertThat(done.get("offline").asBoolean()).isTrue();
        assertThat(done.get("text").asText()).contains("No language model is configured").contains("ai.providers");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void refusalsBeforeTheStreamAreJsonErrors() throws Exception {
        start(TestAi.config(List.of(TestAi.provider(upstream.baseUrl())), 10_000, 10_000, 0,
                new AiConfig.Usage(3600, 10, 0)));
        HttpResponse<String> noToken = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.httpPort() + "/api/chat/stream"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(message("x")))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noToken.statusCode()).isEqualTo(401);

        HttpResponse<String> empty = client.send(post("/api/chat/stream", message("   ")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(empty.body()).get("message").asText()).contains("message is required");

        HttpResponse<String> badJson = client.send(post("/api/chat/stream", "{\"message\":").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(badJson.statusCode()).isEqualTo(400);

        HttpResponse<String> unknownSession = client.send(post("/api/chat/stream",
                Json.write(Map.of("message", "hi", "session_id", "nope"))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unknownSession.statusCode()).isEqualTo(404);

        upstream.enqueue(FakeModelServer.answer("uses", " fifteen", " tokens"));
        assertThat(chat(message("spend it")).last().status()).isEqualTo("complete");
        HttpResponse<String> over = client.send(post("/api/chat/stream", message("more")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(over.headers().firstValue("retry-after")).isPresent();
        assertThat(Json.MAPPER.readTree(over.body()).get("error").asText()).isEqualTo("model_budget_exceeded");
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void eachSentenceGetsAnAudioUrlUntilTheTtsBudgetRunsOutAndTheAnswerSaysSo() throws Exception {
        try (FakeTtsServer tts = new FakeTtsServer()) {
            AiConfig base = TestAi.config(List.of(TestAi.provider(upstream.baseUrl())), 10_000, 10_000, 0,
                    new AiConfig.Usage(3600, 0, 30));
            start(TestAi.withTts(base, new AiConfig.Tts("openai", tts.baseUrl() + "/v1", "", "tts-1", "alloy",
                    10_000, 1000)));
            upstream.enqueue(FakeModelServer.answer("First sentence here.", " Second sentence is here too.",
                    " Third one."));
            SseEvents s = chat(message("Talk to me"));
            assertThat(s.last().status()).isEqualTo("complete");
            List<SseEvents.Event> audio = s.events.stream().filter(e -> e.status().equals("audio")).toList();
            assertThat(audio).extracting(e -> e.data().get("index").asInt()).containsExactlyInAnyOrder(0, 2);
            for (SseEvents.Event e : audio) {
                HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.httpPort() + e.data().get("audio_url").asText())).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(FakeTtsServer.AUDIO);
            }
            assertThat(s.last().data().get("notice").asText()).startsWith("Text only");
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.httpPort() + "/api/tts/models")).header("Authorization", "Bearer " + TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode engines = Json.MAPPER.readTree(models.body());
            assertThat(engines.get("openai").get("status").asText()).isEqualTo("active");
            assertThat(engines.get("openai").get("cur_timbre").asText()).isEqualTo("alloy");
            assertThat(engines.get("openai").get("timbres")).isNotEmpty();
            assertThat(engines.get("elevenlabs").get("status").asText()).isEqualTo("unavailable");
        }
    }

    @Test
    void modelsCanBeListedAndActivated() throws Exception {
        start();
        HttpResponse<String> list = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.httpPort() + "/api/llm/models"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = Json.MAPPER.readTree(list.body());
        assertThat(body.get("active").asText()).isEqualTo("fake-model");
        assertThat(body.get("models")).hasSize(2);

        HttpResponse<String> unknown = client.send(post("/api/llm/activate", "{\"model\":\"gpt-99\"}").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(400);
        HttpResponse<String> ok = client.send(post("/api/llm/activate", "{\"model\":\"fake-model-2\"}").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);

        upstream.enqueue(FakeModelServer.answer("hi"));
        assertThat(chat(message("which model?")).last().data().get("model").asText()).isEqualTo("fake-model-2");
        assertThat(upstream.requests().get(0).get("model").asText()).isEqualTo("fake-model-2");
    }

    @Test
    void aClientThatStopsReadingPausesTheUpstreamAndLosesNothing() throws Exception {
        start();
        int pieces = 40_000; // ~40 MB: more than every kernel and Netty buffer between the upstream and the client
        String piece = "x".repeat(990);
        AtomicInteger written = new AtomicInteger();
        AtomicBoolean finished = new AtomicBoolean();
        upstream.enqueue(ex -> {
            for (int i = 0; i < pieces; i++) {
                ex.text(String.format("%08d", i) + piece);
                written.incrementAndGet();
            }
            ex.finish("stop").done();
            finished.set(true);
        });
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", server.httpPort()));
            s.setSoTimeout(30_000);
            String body = message("Write a lot");
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/chat/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 65536);
            in.readNBytes(1024); // the head and the first events, then the client stops reading

            // The upstream gets stuck writing: its answer no longer fits in the buffers between it and the client.
            AtomicInteger last = new AtomicInteger(-1);
            await().pollInterval(Duration.ofMillis(500)).atMost(Duration.ofSeconds(60)).until(() -> {
                int now = written.get();
                return now > 0 && now == last.getAndSet(now);
            });
            assertThat(finished.get()).isFalse();
            assertThat(written.get()).isLessThan(pieces);

            // Once the client reads again everything arrives, in order, and the stream completes.
            SseEvents events = SseEvents.read(new ChunkedLines(in));
            assertThat(events.last().status()).isEqualTo("complete");
            String text = events.last().data().get("text").asText();
            assertThat(text).hasSize(pieces * (8 + 990));
            for (int i = 0; i < pieces; i += 997) {
                assertThat(text.substring(i * 998, i * 998 + 8)).isEqualTo(String.format("%08d", i));
            }
            assertThat(finished.get()).isTrue();
        }
    }
}

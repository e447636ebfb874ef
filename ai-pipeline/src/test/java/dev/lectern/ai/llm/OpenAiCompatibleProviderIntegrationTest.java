package dev.lectern.ai.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lectern.ai.llm.internal.OpenAiCompatibleProvider;
import dev.lectern.ai.llm.internal.StreamingHttpClient;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.RecordingListener;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The streaming client against an OpenAI-compatible upstream that replays each provider quirk. */
class OpenAiCompatibleProviderIntegrationTest {
    private FakeModelServer upstream;
    private StreamingHttpClient http;
    private ScheduledExecutorService timers;

    @BeforeEach
    void setUp() throws Exception {
        upstream = new FakeModelServer();
        timers = Executors.newSingleThreadScheduledExecutor();
        http = new StreamingHttpClient(5000, 2);
    }

    @AfterEach
    void tearDown() throws Exception {
        http.close();
        timers.shutdownNow();
        upstream.close();
    }

    private OpenAiCompatibleProvider provider(AiConfig config) {
        return new OpenAiCompatibleProvider(config.providers().get(0), Optional.of(new Secret("FAKE_API_KEY", "sk-test")),
                config, http, timers);
    }

    private OpenAiCompatibleProvider provider() {
        return provider(TestAi.config(upstream.baseUrl()));
    }

    private static ChatRequest request() {
        return new ChatRequest("fake-model", List.of(new ChatMessage("system", "be brief"),
                new ChatMessage("user", "hi")), 0.5, 64);
    }

    private RecordingListener run(OpenAiCompatibleProvider p) throws InterruptedException {
        RecordingListener l = new RecordingListener();
        p.stream(request(), l).request(Long.MAX_VALUE);
        return l.awaitEnd();
    }

    @Test
    void streamsTextSkippingCommentsAndReadsTheUsageOnlyChunk() throws Exception {
        upstream.enqueue(ex -> {
            ex.raw(": OPENROUTER PROCESSING\n\n");
            FakeModelServer.answer("Hello", ", ", "world.").run(ex);
        });
        RecordingListener l = run(provider());
        assertThat(l.texts).containsExactly("Hello", ", ", "world.");
        assertThat(l.finishReason).isEqualTo("stop");
        assertThat(l.usage).isEqualTo(new Usage(12, 3, 15, false));
        assertThat(l.error).isNull();
        assertThat(l.terminals()).isEqualTo(1);
    }

    @Test
    void sendsAStreamingRequestWithKeyAndAttributionHeaders() throws Exception {
        upstream.enqueue(FakeModelServer.answer("ok"));
        run(provider());
        var body = upstream.requests().get(0);
        assertThat(body.get("model").asText()).isEqualTo("fake-model");
        assertThat(body.get("stream").asBoolean()).isTrue();
        assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(body.get("messages").get(1).get("content").asText()).isEqualTo("hi");
        var h = upstream.headers().get(0);
        assertThat(h.get("Authorization")).containsExactly("Bearer sk-test");
        assertThat(h.get("Http-referer")).containsExactly("https://tutor.example");
        assertThat(h.get("X-title")).containsExactly("Lectern Test");
    }

    @Test
    void utf8SplitAcrossNetworkWritesArrivesWhole() throws Exception {
        upstream.enqueue(ex -> {
            byte[] b = ("data: " + FakeModelServer.chunk("naïve café 😀", null) + "\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8);
            int split = new String(b, StandardCharsets.UTF_8).indexOf('😀') + 8; // inside the emoji's bytes
            ex.bytes(Arrays.copyOfRange(b, 0, split)).pause(30);
            ex.bytes(Arrays.copyOfRange(b, split, b.length));
            ex.finish("stop").done();
        });
        RecordingListener l = run(provider());
        assertThat(l.text()).isEqualTo("naïve café 😀");
    }

    @Test
    void openAiMidStreamErrorInsideHttp200EndsWithAnErrorAndNoRetry() throws Exception {
        upstream.enqueue(ex -> {
            ex.text("Partial");
            ex.raw("data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n");
        });
        RecordingListener l = run(provider());
        assertThat(l.texts).containsExactly("Partial");
        assertThat(l.error.code()).isEqualTo("upstream_error");
        assertThat(l.error.getMessage()).contains("The server had an error");
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void openRouterFinishReasonErrorEndsWithAnError() throws Exception {
        upstream.enqueue(ex -> {
            ex.text("Some");
            ex.raw("data: {\"id\":\"c\",\"provider\":\"openai\",\"error\":{\"code\":\"server_error\",\"message\":"
                    + "\"Provider disconnected unexpectedly\"},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},"
                    + "\"finish_reason\":\"error\"}]}\n\n");
        });
        RecordingListener l = run(provider());
        assertThat(l.error.getMessage()).contains("Provider disconnected unexpectedly");
        assertThat(l.terminals()).isEqualTo(1);
    }

    @Test
    void aServerErrorBeforeTheFirstTokenIsRetriedOnce() throws Exception {
        upstream.enqueue(ex -> ex.error(503, "{\"error\":{\"message\":\"overloaded\"}}"));
        upstream.enqueue(FakeModelServer.answer("second", " try"));
        RecordingListener l = run(provider());
        assertThat(l.text()).isEqualTo("second try");
        assertThat(upstream.requests()).hasSize(2);
    }

    @Test
    void anErrorInsideHttp200BeforeAnyTextIsRetried() throws Exception {
        upstream.enqueue(ex -> ex.raw("data: {\"error\":{\"message\":\"busy\",\"type\":\"server_error\"}}\n\n"));
        upstream.enqueue(FakeModelServer.answer("fine"));
        RecordingListener l = run(provider());
        assertThat(l.text()).isEqualTo("fine");
        assertThat(upstream.requests()).hasSize(2);
    }

    @Test
    void badCredentialsAreNotRetriedAndNotEchoed() throws Exception {
        upstream.enqueue(ex -> ex.error(401, "{\"error\":{\"message\":\"Incorrect API key provided: sk-te***st\","
                + "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"));
        RecordingListener l = run(provider());
        assertThat(l.error.code()).isEqualTo("upstream_auth");
        assertThat(l.error.getMessage()).doesNotContain("sk-");
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void rateLimitCarriesTheProviderMessage() throws Exception {
        AiConfig noRetry = TestAi.config(List.of(TestAi.provider(upstream.baseUrl())), 10_000, 10_000, 0, null);
        upstream.enqueue(ex -> ex.error(429, "{\"error\":{\"message\":\"slow down\"}}"));
        RecordingListener l = run(provider(noRetry));
        assertThat(l.error.code()).isEqualTo("upstream_rate_limited");
        assertThat(l.error.getMessage()).contains("slow down");
    }

    @Test
    void noFirstTokenInTimeIsATimeout() throws Exception {
        AiConfig c = TestAi.config(List.of(TestAi.provider(upstream.baseUrl())), 300, 10_000, 0, null);
        upstream.enqueue(ex -> {
            ex.raw(": OPENROUTER PROCESSING\n\n"); // comments do not count as the first token
            ex.stall();
        });
        RecordingListener l = run(provider(c));
        assertThat(l.error.code()).isEqualTo("upstream_timeout");
        assertThat(l.error.getMessage()).contains("did not start answering");
    }

    @Test
    void aStallAfterTheFirstTokenIsAnIdleTimeout() throws Exception {
        AiConfig c = TestAi.config(List.of(TestAi.provider(upstream.baseUrl())), 10_000, 300, 1, null);
        upstream.enqueue(ex -> {
            ex.text("Begun");
            ex.stall();
        });
        RecordingListener l = run(provider(c));
        assertThat(l.texts).containsExactly("Begun");
        assertThat(l.error.code()).isEqualTo("upstream_timeout");
        assertThat(l.error.getMessage()).contains("stopped sending");
        assertThat(upstream.requests()).hasSize(1); // never retried after text was delivered
    }

    @Test
    void endOfStreamWithoutDoneOrFinishIsIncomplete() throws Exception {
        upstream.enqueue(ex -> ex.text("cut"));
        RecordingListener l = run(provider());
        assertThat(l.error.code()).isEqualTo("upstream_incomplete");
    }

    @Test
    void finishWithoutDoneIsStillComplete() throws Exception {
        upstream.enqueue(ex -> ex.text("fine").finish("length"));
        RecordingListener l = run(provider());
        assertThat(l.finishReason).isEqualTo("length");
        assertThat(l.error).isNull();
    }

    @Test
    void unreachableProviderIsUnavailable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        AiConfig c = TestAi.config("http://127.0.0.1:" + port + "/v1");
        RecordingListener l = run(provider(c));
        assertThat(l.error.code()).isEqualTo("upstream_unavailable");
    }

    @Test
    void cancelClosesTheUpstreamConnectionAtOnce() throws Exception {
        upstream.enqueue(ex -> {
            ex.text("Hello");
            ex.holdUntilClientGone();
        });
        RecordingListener l = new RecordingListener();
        ChatStream s = provider().stream(request(), l);
        s.request(Long.MAX_VALUE);
        await().until(() -> !l.texts.isEmpty());
        s.cancel();
        assertThat(upstream.awaitDisconnect(30)).isTrue();
        assertThat(l.terminals()).isZero();
    }

    @Test
    void nothingIsDeliveredBeyondDemandAndNothingIsLost() throws Exception {
        String[] pieces = new String[200];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = "w" + i + " ";
        }
        upstream.enqueue(FakeModelServer.answer(pieces));
        RecordingListener l = new RecordingListener();
        ChatStream s = provider().stream(request(), l);
        s.request(3);
        await().until(() -> l.texts.size() == 3);
        assertThat(l.terminals()).isZero();
        s.request(7);
        await().until(() -> l.texts.size() == 10);
        assertThat(l.terminals()).isZero();
        s.request(Long.MAX_VALUE);
        l.awaitEnd();
        assertThat(l.texts).containsExactly(pieces);
        assertThat(l.finishReason).isEqualTo("stop");
    }
}

package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTtsServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.AiConfig;
import dev.lectern.http.AuthDecorator;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestCluster;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sentence's audio URL asked of the other node of a cluster (one PostgreSQL, one Redis, one S3-compatible store,
 * a load balancer without stickiness) while the clip still grows on the node that synthesises it: the other node does
 * not answer 404, it waits until the clip is stored and then serves it (a redirect to the store), whole.
 */
class LiveAudioAcrossNodesIntegrationTest {
    private static final String TOKEN = "student-token";

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NORMAL).build();
    private final List<LecternServer> nodes = new ArrayList<>();
    private TestCluster cluster;
    private FakeModelServer model;
    private FakeTtsServer tts;

    @BeforeEach
    void setUp() throws Exception {
        cluster = TestCluster.start("live");
        model = new FakeModelServer();
        tts = new FakeTtsServer();
    }

    @AfterEach
    void tearDown() {
        nodes.forEach(LecternServer::close);
        tts.close();
        model.close();
        cluster.close();
    }

    private LecternServer node(String id) {
        Map<String, String> env = cluster.env(id, dir.resolve(id));
        AiConfig ai = TestAi.withTts(TestAi.config(model.baseUrl()),
                new AiConfig.Tts("openai", tts.baseUrl() + "/v1", "", "tts-1", "alloy", 60_000, 1000));
        Map<String, String> secrets = cluster.secrets();
        secrets.put("FAKE_API_KEY", "sk-test");
        // every node signs and checks object links with the same key
        secrets.put("LECTERN_OBJECTS_SIGNING_KEY", "a-signing-key-shared-by-the-cluster-nodes");
        LecternServer node = LecternServer.start(TestConfigs.defaults(env).withAi(ai), secrets,
                AuthDecorator.fixed(TOKEN, new Principal("u1", Role.STUDENT, "t1")));
        nodes.add(node);
        return node;
    }

    @Test
    void theOtherNodeWaitsForTheGrowingClipAndServesItOnceStored() throws Exception {
        LecternServer speaking = node("node-1");
        LecternServer other = node("node-2");
        byte[] head = "ID3-first-piece".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "-and-the-rest-of-the-clip".getBytes(StandardCharsets.US_ASCII);
        tts.stream(List.of(head, tail), true);
        model.enqueue(FakeModelServer.answer("One sentence ", "to speak, ", "and that is all."));

        String url;
        try (SpeechStreamingIntegrationTest.SseReader sse = SpeechStreamingIntegrationTest.SseReader.open(client,
                speaking.httpPort(), TOKEN, "Talk")) {
            url = sse.untilComplete().stream().filter(e -> e.get("status").asText().equals("audio"))
                    .map(e -> e.get("audio_url").asText()).findFirst().orElseThrow();
        }
        assertThat(tts.finished.get()).isZero(); // the clip is still being synthesised, on node 1 only
        try (SpeechStreamingIntegrationTest.RawGet live = SpeechStreamingIntegrationTest.RawGet.open(
                speaking.httpPort(), url)) {
            assertThat(live.header("transfer-encoding")).isEqualTo("chunked");
            assertThat(live.nextChunk()).isEqualTo(head);
        }

        CompletableFuture<HttpResponse<byte[]>> elsewhere = client.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + other.httpPort() + url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        // node 2 neither has the live clip nor finds it stored: it waits, without answering
        await().atMost(Duration.ofSeconds(30)).until(() -> awaiting(other) == 1);
        assertThat(elsewhere).isNotDone();

        tts.release();
        HttpResponse<byte[]> r = elsewhere.get();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(tts.streamedAudio());
        assertThat(awaiting(other)).isZero();
    }

    private long awaiting(LecternServer node) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        for (String line : r.body().split("\n")) {
            if (line.startsWith("lectern_objects_awaiting_elsewhere ")) {
                return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).strip());
            }
        }
        throw new AssertionError("no lectern_objects_awaiting_elsewhere in /metrics");
    }
}

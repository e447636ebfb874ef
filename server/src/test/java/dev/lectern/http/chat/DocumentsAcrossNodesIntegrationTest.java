package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.json.Json;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestCluster;
import dev.lectern.testing.TestConfigs;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.FSDirectory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Lectern nodes in cluster mode on one PostgreSQL, one Redis and one S3-compatible object store (S3Proxy), each
 * with its own data directory and so its own Lucene index, and one student talking to both as behind a load balancer
 * without stickiness: what is uploaded or deleted on node 1 is cited or forgotten by node 2's next answer, also when
 * node 2 was restarted or down in between, and a deleted file's passage never reaches the model's prompt.
 */
class DocumentsAcrossNodesIntegrationTest {
    private static final String ZORBL = "Zorbl is a violet mineral found only on the outer moons of Kepler.";
    private static final String VEXTRIN = "Vextrin is an enzyme that splits starch in cold water.";
    private static final String ASK_ZORBL = "Where is zorbl found?";
    private static final String ASK_VEXTRIN = "What does vextrin split?";
    private static final String ALICE = "alice-token";
    private static final TokenVerifier TOKENS = t -> t.equals(ALICE)
            ? CompletableFuture.completedFuture(new Principal("alice", Role.STUDENT, "j1"))
            : CompletableFuture.failedFuture(new InvalidTokenException("invalid token"));

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<LecternServer> nodes = new ArrayList<>();
    private TestCluster cluster;
    private FakeModelServer model;

    @BeforeEach
    void setUp() throws Exception {
        cluster = TestCluster.start("docs");
        model = new FakeModelServer();
    }

    @AfterEach
    void tearDown() {
        nodes.forEach(LecternServer::close);
        model.close();
        cluster.close();
    }

    private LecternServer node(String id) {
        Map<String, String> env = cluster.env(id, dir.resolve(id));
        env.put("LECTERN_UPLOADS__MAX_FILE_BYTES", "1000000");
        Map<String, String> secrets = cluster.secrets();
        secrets.put("FAKE_API_KEY", "sk-test");
        LecternServer node = LecternServer.start(TestConfigs.defaults(env).withAi(TestAi.config(model.baseUrl())),
                secrets, TOKENS);
        nodes.add(node);
        return node;
    }

    private void stop(LecternServer node) {
        node.close();
        nodes.remove(node);
    }

    private long upload(LecternServer node, String filename, String text) throws Exception {
        byte[] body = DocumentsIntegrationTest.multipart("bOuNdArY7", List.of(new DocumentsIntegrationTest.Part(
                "file", filename, text.getBytes(StandardCharsets.UTF_8))));
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri(node, "/api/chat/upload"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + ALICE)
                .header("Content-Type", "multipart/form-data; boundary=bOuNdArY7")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode f = Json.MAPPER.readTree(r.body());
        assertThat(f.get("status").asText()).isEqualTo("indexed");
        return f.get("id").asLong();
    }

    private void delete(LecternServer node, long fileId) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri(node, "/api/user_files/" + fileId))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + ALICE).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** What the model was sent for this question, and the sources the answer cited. */
    record Answer(String prompt, List<String> cited) {}

    private Answer ask(LecternServer node, String question) throws Exception {
        int before = model.requests().size();
        model.enqueue(FakeModelServer.answer("An answer."));
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(uri(node, "/api/chat/stream"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + ALICE)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("message", question)))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode done;
        try (InputStream in = r.body()) {
            done = SseEvents.read(in).last().data();
        }
        assertThat(done.get("status").asText()).isEqualTo("complete");
        assertThat(model.requests()).hasSize(before + 1);
        StringBuilder prompt = new StringBuilder();
        model.requests().get(before).get("messages").forEach(m -> prompt.append(m.get("content").asText()).append('\n'));
        List<String> cited = new ArrayList<>();
        done.get("sources").forEach(s -> cited.add(s.get("filename").asText()));
        return new Answer(prompt.toString(), cited);
    }

    private static URI uri(LecternServer node, String path) {
        return URI.create("http://127.0.0.1:" + node.httpPort() + path);
    }

    /** Passages of the file in the node's own Lucene index on disk, read beside the running node. */
    private int passagesOnDisk(String node, long fileId) throws Exception {
        try (FSDirectory d = FSDirectory.open(dir.resolve(node).resolve("index").resolve("alice"));
             DirectoryReader reader = DirectoryReader.open(d)) {
            return new IndexSearcher(reader).count(new TermQuery(new Term("file_id", Long.toString(fileId))));
        }
    }

    @Test
    void whatOneNodeIsToldEveryNodeAnswersBy() throws Exception {
        LecternServer one = node("node-1");
        LecternServer two = node("node-2");

        // 1. node 2 has no index of alice yet
        long zorbl = upload(one, "zorbl.md", ZORBL);
        Answer a1 = ask(two, ASK_ZORBL);
        assertThat(a1.cited()).containsExactly("zorbl.md");
        assertThat(a1.prompt()).contains(ZORBL);

        // node 2 restarts; its index survives on its disk, and node 1 is told something while it is down
        stop(two);
        long vextrin = upload(one, "vextrin.md", VEXTRIN);
        two = node("node-2");

        // 2. node 2's index exists and is behind
        Answer a2 = ask(two, ASK_VEXTRIN);
        assertThat(a2.cited()).containsExactly("vextrin.md");
        assertThat(a2.prompt()).contains(VEXTRIN);
        assertThat(ask(two, ASK_ZORBL).cited()).containsExactly("zorbl.md");

        // 3. a delete on node 1 reaches node 2's index without a question, and no answer quotes the file again
        delete(one, zorbl);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> passagesOnDisk("node-2", zorbl) == 0);
        Answer a3 = ask(two, ASK_ZORBL);
        assertThat(a3.cited()).isEmpty();
        assertThat(a3.prompt()).doesNotContain("violet mineral");
        assertThat(ask(one, ASK_ZORBL).cited()).isEmpty();

        // a delete while node 2 is down is applied before its first answer
        stop(two);
        delete(one, vextrin);
        two = node("node-2");
        Answer a4 = ask(two, ASK_VEXTRIN);
        assertThat(a4.cited()).isEmpty();
        assertThat(a4.prompt()).doesNotContain("splits starch");
        assertThat(Files.isDirectory(dir.resolve("node-2").resolve("index").resolve("alice"))).isTrue();
    }
}

package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.Documents;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #19 item 1, performed against the real server: a 2 MB PDF whose page's {@code /Contents} array holds one
 * FlateDecode stream of 2 GB of spaces. PDFBox decodes such a stream whole on the heap, so before the fix the upload
 * never answered (or the server died of {@code OutOfMemoryError}); now the reader child runs out of its own heap and
 * the upload is stored as failed, with the reason, while the server keeps answering.
 */
class DocumentBombIntegrationTest {
    private static final String ALICE = "alice-token";
    private static final TokenVerifier TOKENS = t -> t.equals(ALICE)
            ? CompletableFuture.completedFuture(new Principal("alice", Role.STUDENT, "j1"))
            : CompletableFuture.failedFuture(new InvalidTokenException("invalid token"));

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private FakeModelServer upstream;
    private LecternServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void aPdfWhosePageStreamInflatesToTwoGigabytesIsStoredAsFailedAndTheServerKeepsAnswering() throws Exception {
        upstream = new FakeModelServer();
        ServerConfig d = TestConfigs.defaults(Map.of(
                "LECTERN_STORAGE__DATA_DIR", dir.resolve("data").toString(),
                "LECTERN_UPLOADS__MAX_FILE_BYTES", "5000000"));
        server = LecternServer.start(d.withAi(TestAi.config(upstream.baseUrl())), Map.of("FAKE_API_KEY", "sk-test"),
                TOKENS);
        byte[] bomb = Files.readAllBytes(Documents.flateBombPdf(dir.resolve("bomb.pdf"), 2L << 30));
        assertThat(bomb.length).isBetween(1_000_000, 3_000_000);

        String boundary = "xBoUnDaRy42";
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort()
                        + "/api/chat/upload"))
                .timeout(Duration.ofSeconds(60)) // today's code: no answer (heap thrashing, then OutOfMemoryError)
                .header("Authorization", "Bearer " + ALICE)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(DocumentsIntegrationTest.multipart(boundary,
                        List.of(new DocumentsIntegrationTest.Part("file", "bomb.pdf", bomb)))))
                .build();
        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode file = Json.MAPPER.readTree(r.body());
        assertThat(file.get("status").asText()).isEqualTo("failed");
        assertThat(file.get("error").asText()).contains("decompression bomb");

        HttpJson http = new HttpJson(server.httpPort());
        JsonNode listed = http.get("/api/user_files", ALICE).body();
        assertThat(listed.findValuesAsText("status")).containsExactly("failed");
        assertThat(http.get("/health", null).status()).isEqualTo(200);

        // a real PDF is still read after the bomb
        byte[] notes = Files.readAllBytes(Documents.pdf(dir.resolve("notes.pdf"),
                List.of("Mitochondria produce energy.", "Ribosomes build proteins.")));
        HttpResponse<String> ok = client.send(HttpRequest.newBuilder(req.uri()).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + ALICE)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(DocumentsIntegrationTest.multipart(boundary,
                        List.of(new DocumentsIntegrationTest.Part("file", "notes.pdf", notes))))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(Json.MAPPER.readTree(ok.body()).get("status").asText()).as(ok.body()).isEqualTo("indexed");
    }
}

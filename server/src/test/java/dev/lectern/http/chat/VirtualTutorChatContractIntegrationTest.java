package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.http.AuthDecorator;
import dev.lectern.server.ContractValidator;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #20, seed 003 (the Virtual Tutor backend's README, "API Documentation"): every documented chat, upload, files,
 * session id, LLM and health call, sent as that front end sends it (multipart where it says so) to the production
 * wiring on port 0 with a fake OpenAI-compatible model over a real socket, answered with the documented status code,
 * content type, top-level shape (bare arrays stay bare), field names and field types. Lectern's extra fields may
 * stand beside the documented ones; they are not asserted absent. Every reply, and every event of the chat stream, also
 * validates against the server's own {@code /openapi.json} ({@link ContractValidator}), so the documented seed shapes
 * and the schemas generated from the routes' types cannot drift apart.
 */
class VirtualTutorChatContractIntegrationTest {
    private static final String TOKEN = "vt-token";
    private static final JsonNodeType STRING = JsonNodeType.STRING;
    private static final JsonNodeType NUMBER = JsonNodeType.NUMBER;
    private static final JsonNodeType BOOLEAN = JsonNodeType.BOOLEAN;
    private static final JsonNodeType NULL = JsonNodeType.NULL;
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D',
        'R'};

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private FakeModelServer model;
    private LecternServer server;
    private HttpJson http;
    private ContractValidator contract;

    @BeforeEach
    void setUp() throws Exception {
        model = new FakeModelServer();
        ServerConfig d = TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", dir.resolve("data").toString()));
        server = LecternServer.start(d.withAi(TestAi.config(model.baseUrl())), Map.of("FAKE_API_KEY", "sk-test"),
                AuthDecorator.fixed(TOKEN, new Principal("vt-user", Role.STUDENT, "j1")));
        contract = ContractValidator.load(server.httpPort());
        http = new HttpJson(server.httpPort(), Duration.ofSeconds(30)).validating(contract);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        model.close();
    }

    // --- the documented calls, in the README's order

    @Test
    void sendMessageWithStreamingAsMultipartEndsWithTheWholeAnswerAndAnIntSessionId() throws Exception {
        long session = http.post("/api/chat/new", Map.of("title", "Quantum Computing Discussion"), TOKEN).body()
                .get("session_id").asLong();
        model.enqueue(FakeModelServer.answer("Quantum", " computing", " is..."));
        SseEvents events = stream(Map.of("message", "Explain quantum computing", "session_id",
                Long.toString(session)));
        List<SseEvents.Event> streaming = events.events.stream().filter(e -> e.status().equals("streaming")).toList();
        assertThat(streaming).isNotEmpty();
        StringBuilder chunks = new StringBuilder();
        for (SseEvents.Event e : streaming) {
            assertShape(e.data(), fields("status", STRING, "chunk", STRING));
            chunks.append(e.data().get("chunk").asText());
        }
        JsonNode done = events.last().data();
        assertShape(done, fields("status", STRING, "session_id", NUMBER, "text", STRING));
        assertThat(done.get("status").asText()).isEqualTo("complete");
        assertThat(done.get("session_id").isIntegralNumber()).isTrue();
        assertThat(done.get("session_id").asLong()).isEqualTo(session);
        assertThat(done.get("text").asText()).isEqualTo("Quantum computing is...").isEqualTo(chunks.toString());
        assertThat(model.requests().get(0).toString()).contains("Explain quantum computing");

        // session_id omitted: a new chat
        model.enqueue(FakeModelServer.answer("Hello."));
        JsonNode fresh = stream(Map.of("message", "Hi")).last().data();
        assertThat(fresh.get("status").asText()).isEqualTo("complete");
        assertThat(fresh.get("session_id").isIntegralNumber()).isTrue();
        assertThat(fresh.get("session_id").asLong()).isNotEqualTo(session);
        assertThat(fresh.get("text").asText()).isEqualTo("Hello.");

        // and the conversation is saved: Get Messages in Session, a bare array
        HttpJson.Reply messages = http.get("/api/message/list?session_id=" + session, TOKEN);
        assertJson(messages, 200);
        assertThat(messages.body().isArray()).isTrue();
        assertThat(messages.body()).hasSize(2);
        for (JsonNode m : messages.body()) {
            assertShape(m, fields("role", STRING, "content", STRING, "created_at", STRING, "file_type", NULL,
                    "file_path", NULL));
        }
        assertThat(messages.body()).extracting(m -> m.get("role").asText() + ": " + m.get("content").asText())
                .containsExactly("user: Explain quantum computing", "assistant: Quantum computing is...");
        assertThat(messages.header("X-Total-Count")).isEqualTo("2");
    }

    @Test
    void uploadFileAndGetUserFilesInTheDocumentedShapes() throws Exception {
        long session = http.post("/api/chat/new", Map.of("title", "Reading"), TOKEN).body().get("session_id").asLong();
        byte[] text = "The Brannock reactor runs on heavy water.".getBytes(StandardCharsets.UTF_8);
        HttpJson.Reply up = http.upload("/api/chat/upload", TOKEN, Map.of("session_id", Long.toString(session)),
                "document.txt", text);
        assertJson(up, 200);
        assertShape(up.body(), fields("msg", STRING, "session_id", NUMBER, "message_id", NUMBER, "file_path", STRING,
                "file_type", STRING, "filename", STRING, "rag_indexed", BOOLEAN));
        assertThat(up.body().get("session_id").asLong()).isEqualTo(session);
        assertThat(up.text("file_type")).isEqualTo("document");
        assertThat(up.text("filename")).isEqualTo("document.txt");
        assertThat(up.body().get("rag_indexed").asBoolean()).isTrue();

        // an image without a session: file_type image, not indexed, recorded in a new chat
        HttpJson.Reply image = http.upload("/api/chat/upload", TOKEN, Map.of(), "board.png", PNG);
        assertJson(image, 200);
        assertThat(image.text("file_type")).isEqualTo("image");
        assertThat(image.body().get("rag_indexed").asBoolean()).isFalse();
        assertThat(image.body().get("session_id").isIntegralNumber()).isTrue();
        assertThat(image.body().get("session_id").asLong()).isNotEqualTo(session);

        // the upload is a message of its chat, carrying its file type and path
        JsonNode messages = http.get("/api/message/list?session_id=" + session, TOKEN).body();
        assertThat(messages).hasSize(1);
        assertShape(messages.get(0), fields("role", STRING, "content", STRING, "created_at", STRING,
                "file_type", STRING, "file_path", STRING));
        assertThat(messages.get(0).get("role").asText()).isEqualTo("user");
        assertThat(messages.get(0).get("content").asText()).isEqualTo("Uploaded document: document.txt");
        assertThat(messages.get(0).get("file_type").asText()).isEqualTo("document");
        assertThat(messages.get(0).get("file_path").asText()).isEqualTo(up.text("file_path"));

        HttpJson.Reply files = http.get("/api/user_files", TOKEN);
        assertJson(files, 200);
        assertShape(files.body(), fields("msg", STRING, "total", NUMBER, "files", JsonNodeType.ARRAY));
        assertThat(files.body().get("total").asLong()).isEqualTo(2);
        assertThat(files.header("X-Total-Count")).isEqualTo("2");
        JsonNode newest = files.body().get("files").get(0);
        JsonNode doc = files.body().get("files").get(1);
        for (JsonNode f : files.body().get("files")) {
            assertShape(f, fields("id", NUMBER, "filename", STRING, "file_type", STRING, "file_path", STRING,
                    "content", STRING, "created_at", STRING, "session_id", NUMBER, "size", NUMBER));
        }
        assertThat(newest.get("filename").asText()).isEqualTo("board.png");
        assertThat(doc.get("file_type").asText()).isEqualTo("document");
        assertThat(doc.get("file_path").asText()).isEqualTo(up.text("file_path"));
        assertThat(doc.get("content").asText()).isEqualTo("Uploaded document: document.txt");
        assertThat(doc.get("session_id").asLong()).isEqualTo(session);
        assertThat(doc.get("size").asLong()).isEqualTo(text.length);

        // paging moves to the query and the headers; the body keeps its shape
        HttpJson.Reply page = http.get("/api/user_files?page=1&page_size=1", TOKEN);
        assertThat(page.body().get("files")).hasSize(1);
        assertThat(page.body().get("total").asLong()).isEqualTo(2);
        assertThat(page.header("X-Total-Count")).isEqualTo("2");
        assertThat(page.header("Link")).contains("page=2&page_size=1>; rel=\"next\"");
    }

    @Test
    void createListFavoriteAndDeleteChatSessions() throws Exception {
        HttpJson.Reply created = http.post("/api/chat/new", Map.of("title", "Quantum Computing Discussion"), TOKEN);
        assertJson(created, 201);
        assertShape(created.body(), fields("session_id", NUMBER));
        long id = created.body().get("session_id").asLong();
        long other = http.post("/api/chat/new", Map.of("title", "Second"), TOKEN).body().get("session_id").asLong();

        HttpJson.Reply history = http.get("/api/chat/history", TOKEN);
        assertJson(history, 200);
        assertThat(history.body().isArray()).isTrue();
        assertThat(history.body()).hasSize(2);
        for (JsonNode s : history.body()) {
            assertShape(s, fields("id", NUMBER, "title", STRING, "created_at", STRING, "updated_at", STRING,
                    "message_count", NUMBER, "is_favorite", BOOLEAN));
        }
        assertThat(history.body()).extracting(s -> s.get("id").asLong()).containsExactlyInAnyOrder(id, other);
        JsonNode first = history.body().findParents("id").stream().filter(s -> s.get("id").asLong() == id)
                .findFirst().orElseThrow();
        assertThat(first.get("title").asText()).isEqualTo("Quantum Computing Discussion");
        assertThat(first.get("message_count").asLong()).isZero();
        assertThat(first.get("is_favorite").asBoolean()).isFalse();
        assertThat(history.header("X-Total-Count")).isEqualTo("2");

        HttpJson.Reply favorite = http.post("/api/chat/" + id + "/favorite", Map.of("is_favorite", true), TOKEN);
        assertJson(favorite, 200);
        assertShape(favorite.body(), fields("msg", STRING, "session_id", NUMBER, "is_favorite", BOOLEAN));
        assertThat(favorite.body().get("session_id").asLong()).isEqualTo(id);
        assertThat(favorite.body().get("is_favorite").asBoolean()).isTrue();
        assertThat(http.get("/api/chat/history", TOKEN).body()).filteredOn(s -> s.get("id").asLong() == id)
                .extracting(s -> s.get("is_favorite").asBoolean()).containsExactly(true);

        HttpJson.Reply deleted = http.send("DELETE", "/api/chat/" + id, null, TOKEN);
        assertJson(deleted, 200);
        assertShape(deleted.body(), fields("msg", STRING));
        assertThat(deleted.text("msg")).isEqualTo("Session " + id + " deleted");
        assertThat(http.get("/api/chat/history", TOKEN).body()).extracting(s -> s.get("id").asLong())
                .containsExactly(other);
        assertThat(http.send("DELETE", "/api/chat/" + id, null, TOKEN).status()).isEqualTo(404);
    }

    @Test
    void saveWebRtcSessionIdAnswers200WithAnEmptyBody() throws Exception {
        HttpJson.Reply r = http.post("/api/sessionid", Map.of("sessionid", 1), TOKEN);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.raw().body()).isEmpty();
        assertThat(server.ephemeralStore().get("user:vt-user:avatar_session")).contains("1");
    }

    @Test
    void activateLlmModel() throws Exception {
        HttpJson.Reply r = http.post("/api/llm/activate", Map.of("model", "fake-model-2"), TOKEN);
        assertJson(r, 200);
        assertShape(r.body(), fields("status", STRING, "message", STRING, "model", STRING));
        assertThat(r.text("status")).isEqualTo("success");
        assertThat(r.text("model")).isEqualTo("fake-model-2");
        model.enqueue(FakeModelServer.answer("ok"));
        stream(Map.of("message", "which model?"));
        assertThat(model.requests().get(0).get("model").asText()).isEqualTo("fake-model-2");
    }

    @Test
    void serviceHealth() throws Exception {
        HttpJson.Reply r = http.get("/api/health", null);
        assertJson(r, 200);
        assertShape(r.body(), fields("status", STRING, "service", STRING, "timestamp", STRING, "database", STRING,
                "redis", STRING));
        assertThat(r.text("status")).isEqualTo("healthy");
        assertThat(r.text("database")).isEqualTo("connected");
        assertThat(java.time.Instant.parse(r.text("timestamp"))).isNotNull();
        assertThat(r.body().get("components").isObject()).as("Lectern's components beside them").isTrue();
    }

    // --- helpers

    /** POST /api/chat/stream as the seed's front end sends it: multipart/form-data, Accept: text/event-stream. */
    private SseEvents stream(Map<String, String> fields) throws Exception {
        String boundary = "vtBoundary" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Map.Entry<String, String> f : fields.entrySet()) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey()
                    + "\"\r\n\r\n" + f.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.httpPort() + "/api/chat/stream")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN).header("Accept", "text/event-stream")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).get().asString().startsWith("text/event-stream");
            contract.check("POST", "/api/chat/stream", r.statusCode(), r.headers().firstValue("content-type")
                    .orElse(null), "");
            SseEvents events = SseEvents.read(in);
            for (SseEvents.Event e : events.events) {
                contract.checkEvent("POST", "/api/chat/stream", e.data());
            }
            return events;
        }
    }

    private static void assertJson(HttpJson.Reply r, int status) {
        assertThat(r.status()).as(r.raw().body()).isEqualTo(status);
        assertThat(r.header("content-type")).startsWith("application/json");
        assertThat(r.body()).isNotNull();
    }

    private static Map<String, JsonNodeType> fields(Object... nameTypePairs) {
        Map<String, JsonNodeType> m = new LinkedHashMap<>();
        for (int i = 0; i < nameTypePairs.length; i += 2) {
            m.put((String) nameTypePairs[i], (JsonNodeType) nameTypePairs[i + 1]);
        }
        return m;
    }

    /** Every documented field is there with its documented JSON type (numbers integral); others may stand beside. */
    private static void assertShape(JsonNode node, Map<String, JsonNodeType> documented) {
        assertThat(node.isObject()).as("an object: %s", node).isTrue();
        for (Map.Entry<String, JsonNodeType> f : documented.entrySet()) {
            assertThat(node.has(f.getKey())).as("field %s in %s", f.getKey(), node).isTrue();
            assertThat(node.get(f.getKey()).getNodeType()).as("type of %s in %s", f.getKey(), node)
                    .isEqualTo(f.getValue());
            if (f.getValue() == NUMBER) {
                assertThat(node.get(f.getKey()).isIntegralNumber()).as("%s is an int", f.getKey()).isTrue();
            }
        }
    }
}

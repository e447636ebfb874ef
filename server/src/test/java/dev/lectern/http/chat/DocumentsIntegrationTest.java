package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.Documents;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTranscriptionServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads and retrieval end to end: the production wiring on port 0, real multipart requests, generated PDF and DOCX
 * fixtures, a fake model upstream that records the prompt it was sent.
 */
class DocumentsIntegrationTest {
    static final String FACT = "The Quillfeather constant of the Brannock reactor equals 47.3 kilojoules per mole.";
    private static final String ALICE = "alice-token";
    private static final String BOB = "bob-token";
    private static final TokenVerifier TOKENS = t -> t.equals(ALICE)
            ? CompletableFuture.completedFuture(new Principal("alice", Role.STUDENT, "j1"))
            : t.equals(BOB) ? CompletableFuture.completedFuture(new Principal("bob", Role.STUDENT, "j2"))
            : CompletableFuture.failedFuture(new InvalidTokenException("invalid token"));

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private FakeModelServer upstream;
    private LecternServer server;
    private HttpJson http;
    private Path dataDir;

    @BeforeEach
    void setUp() throws Exception {
        upstream = new FakeModelServer();
        dataDir = dir.resolve("data");
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        upstream.close();
    }

    private void start(AiConfig ai) {
        Map<String, String> env = new HashMap<>();
        env.put("LECTERN_STORAGE__DATA_DIR", dataDir.toString());
        env.put("LECTERN_UPLOADS__MAX_FILE_BYTES", "1000000");
        ServerConfig d = TestConfigs.defaults(env);
        server = LecternServer.start(ai == null ? d : d.withAi(ai), Map.of("FAKE_API_KEY", "sk-test"), TOKENS);
        http = new HttpJson(server.httpPort());
    }

    private void start() {
        start(TestAi.config(upstream.baseUrl()));
    }

    // --- requests

    record Part(String name, String filename, byte[] content) {}

    static byte[] multipart(String boundary, List<Part> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Part p : parts) {
            String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name() + "\""
                    + (p.filename() == null ? "" : "; filename=\"" + p.filename() + "\"")
                    + (p.filename() == null ? "" : "\r\nContent-Type: application/octet-stream") + "\r\n\r\n";
            out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
            out.writeBytes(p.content());
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private HttpJson.Reply upload(String token, String filename, byte[] content, String sessionId) throws Exception {
        List<Part> parts = new java.util.ArrayList<>();
        if (sessionId != null) {
            parts.add(new Part("session_id", null, sessionId.getBytes(StandardCharsets.UTF_8)));
        }
        if (content != null) {
            parts.add(new Part("file", filename, content));
        }
        return post(token, multipart("xBoUnDaRy42", parts), "multipart/form-data; boundary=xBoUnDaRy42");
    }

    private HttpJson.Reply post(String token, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort()
                        + "/api/chat/upload"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body().isEmpty() ? null : Json.MAPPER.readTree(r.body());
        return new HttpJson.Reply(r.statusCode(), json, r);
    }

    private SseEvents ask(String token, String question) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/api/chat/stream"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("message", question)))).build();
        HttpResponse<InputStream> r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        try (InputStream in = r.body()) {
            return SseEvents.read(in);
        }
    }

    private byte[] notesPdf() throws Exception {
        return Files.readAllBytes(Documents.pdf(dir.resolve("notes.pdf"), List.of(
                "Week one: cell biology. Mitochondria produce energy and ribosomes build proteins.",
                "Week two: reactor physics. " + FACT,
                "Week three: osmosis moves water across membranes.")));
    }

    private static String prompt(JsonNode modelRequest) {
        StringBuilder b = new StringBuilder();
        modelRequest.get("messages").forEach(m -> b.append(m.get("content").asText()).append('\n'));
        return b.toString();
    }

    private List<Path> spooled() throws Exception {
        Path spool = dataDir.resolve("tmp").resolve("uploads");
        if (!Files.isDirectory(spool)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(spool)) {
            return s.toList();
        }
    }

    // --- tests

    @Test
    void aFactOnPageTwoOfAnUploadedPdfReachesThePromptAndTheSources() throws Exception {
        start();
        String session = http.post("/api/chat/new", Map.of("title", "Physics"), ALICE).text("session_id");
        HttpJson.Reply up = upload(ALICE, "notes.pdf", notesPdf(), session);
        assertThat(up.status()).as(String.valueOf(up.body())).isEqualTo(200);
        assertThat(up.text("status")).isEqualTo("indexed");
        long fileId = up.body().get("id").asLong();

        upstream.enqueue(FakeModelServer.answer("It equals 47.3 kJ/mol (notes.pdf, page 2)."));
        SseEvents s = ask(ALICE, "What does the Quillfeather constant of the Brannock reactor equal?");
        assertThat(prompt(upstream.requests().get(0))).contains(FACT).contains("notes.pdf, page 2");
        JsonNode done = s.last().data();
        assertThat(done.get("status").asText()).isEqualTo("complete");
        JsonNode sources = done.get("sources");
        assertThat(sources).hasSize(1);
        assertThat(sources.get(0).get("file_id").asLong()).isEqualTo(fileId);
        assertThat(sources.get(0).get("filename").asText()).isEqualTo("notes.pdf");
        assertThat(sources.get(0).get("page").asInt()).isEqualTo(2);
        assertThat(sources.get(0).get("passage").asText()).contains("47.3 kilojoules");

        upstream.enqueue(FakeModelServer.answer("Paris."));
        SseEvents other = ask(ALICE, "What is the capital of France?");
        assertThat(other.last().data().get("sources")).isEmpty();
        assertThat(prompt(upstream.requests().get(1))).doesNotContain("Quillfeather constant of the Brannock reactor equals");

        // user B never retrieves A's passages
        upstream.enqueue(FakeModelServer.answer("I do not know."));
        SseEvents bob = ask(BOB, "What does the Quillfeather constant of the Brannock reactor equal?");
        assertThat(bob.last().data().get("sources")).isEmpty();
        assertThat(prompt(upstream.requests().get(2))).doesNotContain("47.3");

        // listed in the original's shape, and recorded in the chat
        JsonNode files = http.get("/api/user_files", ALICE).body().get("files");
        assertThat(files).hasSize(1);
        JsonNode f = files.get(0);
        assertThat(f.get("id").asLong()).isEqualTo(fileId);
        assertThat(f.get("filename").asText()).isEqualTo("notes.pdf");
        assertThat(f.get("file_type").asText()).isEqualTo("document");
        assertThat(f.get("extension").asText()).isEqualTo("pdf");
        assertThat(f.get("content").asText()).isEqualTo("Uploaded document: notes.pdf");
        assertThat(f.get("file_path").asText()).startsWith("uploads/").endsWith(".pdf");
        assertThat(f.get("size").asLong()).isEqualTo(notesPdf().length);
        assertThat(f.get("session_id").asText()).isEqualTo(session);
        assertThat(f.get("created_at").asText()).endsWith("Z");
        assertThat(f.get("status").asText()).isEqualTo("indexed");
        assertThat(http.get("/api/user_files", BOB).body().get("files")).isEmpty();
        JsonNode messages = http.get("/api/message/list?session_id=" + session, ALICE).body();
        assertThat(messages.get(0).get("content").asText()).isEqualTo("Uploaded document: notes.pdf");
        assertThat(messages.get(0).get("file_type").asText()).isEqualTo("document");
        assertThat(messages.get(0).get("file_path").asText()).isEqualTo(f.get("file_path").asText());
        assertThat(messages.get(0).get("id").asLong()).isEqualTo(up.body().get("message_id").asLong());

        // another user's file is a 404; the owner's delete removes the object and the passages
        assertThat(http.send("DELETE", "/api/user_files/" + fileId, null, BOB).status()).isEqualTo(404);
        assertThat(http.send("DELETE", "/api/user_files/" + fileId, null, ALICE).status()).isEqualTo(200);
        assertThat(http.send("DELETE", "/api/user_files/" + fileId, null, ALICE).status()).isEqualTo(404);
        assertThat(server.objects().get(f.get("file_path").asText())).isEmpty();
        upstream.enqueue(FakeModelServer.answer("Gone."));
        assertThat(ask(ALICE, "What does the Quillfeather constant of the Brannock reactor equal?").last().data()
                .get("sources")).isEmpty();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spooled().isEmpty());
    }

    @Test
    void docxUploadsAreIndexedToo() throws Exception {
        start();
        byte[] docx = Files.readAllBytes(Documents.docx(dir.resolve("essay.docx"), List.of("Thermodynamics.", FACT)));
        HttpJson.Reply up = upload(ALICE, "essay.docx", docx, null);
        assertThat(up.status()).isEqualTo(200);
        assertThat(up.text("status")).isEqualTo("indexed");
        // no session named: recorded in a new chat of its own, as the Virtual Tutor backend did
        assertThat(up.body().get("session_id").isIntegralNumber()).isTrue();
        assertThat(up.text("file_type")).isEqualTo("document");
        upstream.enqueue(FakeModelServer.answer("47.3."));
        JsonNode done = ask(ALICE, "Quillfeather constant of the Brannock reactor?").last().data();
        assertThat(prompt(upstream.requests().get(0))).contains(FACT);
        assertThat(done.get("sources").get(0).get("filename").asText()).isEqualTo("essay.docx");
        assertThat(done.get("sources").get(0).get("page").isNull()).isTrue();
    }

    @Test
    void hostileUploadsGetClearErrorsAndTheServerKeepsServing() throws Exception {
        start();
        byte[] text = "Ferns reproduce by spores.".getBytes(StandardCharsets.UTF_8);
        for (String[] c : new String[][] {
                {"../../etc/passwd.txt", "passwd.txt"},
                {"/abs/olute/notes.md", "notes.md"},
                {"C:\\Users\\me\\win.txt", null},
                {"bad\u0007name\u202E.txt", null},
                {"講義ノート.md", "講義ノート.md"},
                {"y".repeat(400) + ".txt", "y".repeat(196) + ".txt"}}) {
            HttpJson.Reply r = upload(ALICE, c[0], text, null);
            assertThat(r.status()).as(c[0]).isEqualTo(200);
            if (c[1] != null) {
                assertThat(r.text("filename")).as(c[0]).isEqualTo(c[1]);
            }
            assertThat(r.text("filename")).as(c[0]).doesNotContain("/", "\\", "..", "\u0007", "\u202E")
                    .doesNotStartWith(".")
                    .endsWith(c[0].endsWith(".md") ? ".md" : ".txt");
            assertThat(r.text("file_path")).matches("uploads/[0-9a-f-]{36}\\.(txt|md)");
        }
        // a .pdf that is really a zip, an .exe, no extension: 415
        byte[] zip = Files.readAllBytes(Documents.docx(dir.resolve("z.docx"), List.of("x")));
        assertThat(upload(ALICE, "notes.pdf", zip, null).status()).isEqualTo(415);
        HttpJson.Reply exe = upload(ALICE, "setup.exe", new byte[] {'M', 'Z', 0, 0}, null);
        assertThat(exe.status()).isEqualTo(415);
        assertThat(exe.text("error")).isEqualTo("unsupported_media_type");
        assertThat(exe.text("requestId")).isNotBlank();
        assertThat(upload(ALICE, "README", text, null).status()).isEqualTo(415);
        assertThat(upload(ALICE, "notes.txt", new byte[] {'a', 0, 'b'}, null).status()).isEqualTo(415);
        // malformed requests
        assertThat(upload(ALICE, null, null, null).status()).isEqualTo(400);
        assertThat(post(ALICE, "{}".getBytes(StandardCharsets.UTF_8), "application/json").status()).isEqualTo(415);
        assertThat(post(ALICE, "garbage".getBytes(StandardCharsets.UTF_8), "multipart/form-data").status())
                .isEqualTo(400);
        assertThat(upload(ALICE, "a.txt", text, "999999").status()).as("someone else's / no chat").isEqualTo(404);
        assertThat(upload(ALICE, "a.txt", text, "abc").status()).isEqualTo(400);
        assertThat(upload(null, "a.txt", text, null).status()).isEqualTo(401);

        // documents that cannot be read are stored, marked failed with the reason, and harm nothing
        byte[] locked = Files.readAllBytes(Documents.encryptedPdf(dir.resolve("l.pdf"), "zebra secrets"));
        HttpJson.Reply enc = upload(ALICE, "locked.pdf", locked, null);
        assertThat(enc.status()).isEqualTo(200);
        assertThat(enc.text("status")).isEqualTo("failed");
        assertThat(enc.text("error")).contains("encrypted");
        byte[] corrupt = ("%PDF-1.7\n" + "junk ".repeat(200)).getBytes(StandardCharsets.US_ASCII);
        assertThat(upload(ALICE, "corrupt.pdf", corrupt, null).text("status")).isEqualTo("failed");
        byte[] bomb = Files.readAllBytes(Documents.docxBomb(dir.resolve("bomb.docx"), 200L << 20));
        assertThat(bomb.length).isLessThan(1_000_000);
        HttpJson.Reply b = upload(ALICE, "bomb.docx", bomb, null);
        assertThat(b.text("status")).isEqualTo("failed");
        assertThat(b.text("error")).contains("zip bomb");
        JsonNode listed = http.get("/api/user_files?page_size=100", ALICE).body().get("files");
        assertThat(listed.findValuesAsText("status")).contains("failed");
        assertThat(listed.findValuesAsText("error")).anyMatch(e -> e.contains("zip bomb"));

        // oversize: refused by its declared length, and mid-stream when chunked; the server keeps serving
        HttpJson.Reply big = upload(ALICE, "big.txt", "a".repeat(1_500_000).getBytes(StandardCharsets.UTF_8), null);
        assertThat(big.status()).isEqualTo(413);
        assertThat(chunkedOversizeStatus()).isEqualTo(413);
        upstream.enqueue(FakeModelServer.answer("Spores."));
        JsonNode done = ask(ALICE, "how do ferns reproduce").last().data();
        assertThat(done.get("sources")).isNotEmpty();
        assertThat(http.get("/api/health", null).status()).isEqualTo(200);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spooled().isEmpty());
    }

    /** Sends a chunked multipart body past the limit over a raw socket and returns the status it gets. */
    private int chunkedOversizeStatus() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.httpPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/chat/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ALICE
                    + "\r\nContent-Type: multipart/form-data; boundary=BB\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] head = "--BB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII);
            writeChunk(out, head);
            byte[] block = "b".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
            try {
                for (int i = 0; i < 40; i++) { // 2.5 MB, past the 1 MB limit
                    writeChunk(out, block);
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (java.io.IOException e) {
                // the server may stop reading once it has answered
            }
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    private static void writeChunk(OutputStream out, byte[] data) throws java.io.IOException {
        out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aDeletedIndexIsRebuiltFromTheObjectStoreOnTheNextStart() throws Exception {
        start();
        assertThat(upload(ALICE, "notes.pdf", notesPdf(), null).text("status")).isEqualTo("indexed");
        server.close();
        server = null;
        Path index = dataDir.resolve("index").resolve("alice");
        assertThat(index).isDirectory();
        try (Stream<Path> files = Files.walk(index)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        start();
        upstream.enqueue(FakeModelServer.answer("47.3."));
        JsonNode done = ask(ALICE, "What does the Quillfeather constant of the Brannock reactor equal?").last().data();
        assertThat(done.get("sources").get(0).get("page").asInt()).isEqualTo(2);
        assertThat(prompt(upstream.requests().get(0))).contains(FACT);
        assertThat(index).isDirectory();
    }

    @Test
    void withoutAModelTheOfflineTutorQuotesTheDocumentsWithTheirSources() throws Exception {
        start(null);
        upload(ALICE, "notes.pdf", notesPdf(), null);
        JsonNode done = ask(ALICE, "What does the Quillfeather constant of the Brannock reactor equal?").last().data();
        assertThat(done.get("offline").asBoolean()).isTrue();
        assertThat(done.get("text").asText()).contains("Offline").contains("notes.pdf, page 2")
                .contains("47.3 kilojoules");
        assertThat(done.get("sources").get(0).get("page").asInt()).isEqualTo(2);
        JsonNode none = ask(ALICE, "What is the capital of France?").last().data();
        assertThat(none.get("text").asText()).contains("No language model is configured");
        assertThat(none.get("sources")).isEmpty();
    }

    @Test
    void audioIsTranscribedAndIndexedWhenATranscriptionServiceIsConfigured() throws Exception {
        try (FakeTranscriptionServer stt = new FakeTranscriptionServer()
                .answer("Today we measured the Quillfeather constant of the Brannock reactor.")) {
            start(TestAi.withTranscription(TestAi.config(upstream.baseUrl()),
                    new AiConfig.Transcription(stt.baseUrl(), "whisper-1", "", 10_000)));
            byte[] wav = "RIFF\0\0\0\0WAVEfmt fake audio".getBytes(StandardCharsets.ISO_8859_1);
            HttpJson.Reply up = upload(ALICE, "lecture.wav", wav, null);
            assertThat(up.text("status")).isEqualTo("indexed");
            assertThat(new String(stt.bodies().get(0), StandardCharsets.ISO_8859_1)).contains("fake audio");
            upstream.enqueue(FakeModelServer.answer("Measured."));
            JsonNode done = ask(ALICE, "Quillfeather constant Brannock reactor").last().data();
            assertThat(done.get("sources").get(0).get("filename").asText()).isEqualTo("lecture.wav");
            byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0};
            assertThat(upload(ALICE, "board.png", png, null).text("status")).isEqualTo("not_indexed");
        }
    }
}

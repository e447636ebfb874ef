package dev.lectern.avatars;

import static dev.lectern.avatars.AvatarForms.PNG;
import static dev.lectern.avatars.AvatarForms.Part.face;
import static dev.lectern.avatars.AvatarForms.Part.voice;
import static dev.lectern.avatars.AvatarForms.WAV;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.avatars.AvatarForms.Part;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.media.FakeAvatars;
import dev.lectern.server.ContractValidator;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The avatar catalogue's admin endpoints on the production wiring (SQLite, in-process store, local object store, real
 * avatar processes), with real tokens of a tutor, another tutor and a student: add (multipart, type by magic bytes),
 * preview of configured and added avatars, delete, and each refusal of each. The seed's own calls:
 * {@link VirtualTutorAvatarContractIntegrationTest}. Every reply, refusals included, validates against /openapi.json.
 */
class AvatarCatalogueIntegrationTest {
    private static final String SECRET = "avatar-catalogue-test-secret-0123456789abcdef";
    private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16, 'J', 'F', 'I', 'F',
            0, 1, (byte) 0xFF, (byte) 0xD9};

    private static final byte[] MP3 = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0};

    @TempDir
    Path dir;
    private LecternServer server;
    private HttpJson http;
    private ContractValidator contract;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String student;
    private String tutor;
    private String otherTutor;

    @BeforeEach
    void start() throws Exception {
        Path preview = Files.write(dir.resolve("anna.png"), PNG);
        Files.writeString(dir.resolve("not-an-image.png"), "hello");
        ServerConfig config = FakeAvatars.config(Map.of(), avatars -> {
            ArrayNode catalogue = (ArrayNode) avatars.get("catalogue");
            for (JsonNode e : catalogue) {
                ObjectNode entry = (ObjectNode) e;
                switch (entry.get("name").asText()) {
                    case FakeAvatars.ANNA -> entry.put("previewImage", preview.toString());
                    case FakeAvatars.BOB -> entry.put("previewImage", dir.resolve("missing.png").toString());
                    case FakeAvatars.CRASHY -> entry.put("previewImage", dir.resolve("not-an-image.png").toString());
                    default -> { }
                }
            }
        });
        server = LecternServer.start(config, Map.of("LECTERN_JWT_SECRET", SECRET));
        contract = ContractValidator.load(server.httpPort());
        http = new HttpJson(server.httpPort()).validating(contract);
        student = signUp("stu@example.com", null);
        tutor = signUp("tut@example.com", "tutor");
        otherTutor = signUp("tut2@example.com", "tutor");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String signUp(String email, String role) throws Exception {
        return AvatarForms.signUp(server, http, email, role);
    }

    private HttpResponse<byte[]> preview(String name, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort()
                        + "/api/avatar/preview")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("avatar_name", name))));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        contract.check("POST", "/api/avatar/preview", r.statusCode(),
                r.headers().firstValue("content-type").orElse(null), new String(r.body(), StandardCharsets.UTF_8));
        return r;
    }

    private static JsonNode json(HttpResponse<byte[]> r) throws Exception {
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
        return Json.MAPPER.readTree(new String(r.body(), StandardCharsets.UTF_8));
    }

    private static void assertError(HttpJson.Reply r, int status, String code) {
        assertThat(r.status()).as(r.raw().body()).isEqualTo(status);
        assertThat(r.text("error")).isEqualTo(code);
        assertThat(r.text("message")).isNotBlank();
        assertThat(r.text("requestId")).isNotBlank();
    }

    private HttpJson.Reply add(String token, Part... parts) throws Exception {
        HttpResponse<String> r = multipart("/api/avatar/add", token, HttpResponse.BodyHandlers.ofString(), parts);
        return new HttpJson.Reply(r.statusCode(), Json.MAPPER.readTree(r.body()), r);
    }

    private HttpResponse<byte[]> multipart(String path, String token, Part... parts) throws Exception {
        return multipart(path, token, HttpResponse.BodyHandlers.ofByteArray(), parts);
    }

    private <T> HttpResponse<T> multipart(String path, String token, HttpResponse.BodyHandler<T> handler,
                                          Part... parts) throws Exception {
        HttpResponse<T> r = AvatarForms.post(client, server.httpPort(), path, token, handler, parts);
        Object body = r.body();
        contract.check("POST", path, r.statusCode(), r.headers().firstValue("content-type").orElse(null),
                body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : (String) body);
        return r;
    }

    /** #19: added avatars' files do not pile up forever: past {@code avatars.addedMaxAgeDays} they are purged. */
    @Test
    void addedAvatarsOlderThanTheMaximumAgeArePurgedWithTheirObjects() throws Exception {
        assertThat(add(tutor, Part.text("name", "old-face"), face(PNG), voice(WAV)).status()).isEqualTo(200);
        assertThat(add(tutor, Part.text("name", "new-face"), face(PNG), voice(WAV)).status()).isEqualTo(200);
        try (dev.lectern.core.store.sql.SqlDatabase sql =
                     new dev.lectern.core.store.sql.SqlDatabase(server.config().storage(), null)) {
            AddedAvatarRepository rows = new AddedAvatarRepository(sql, java.time.Clock.systemUTC());
            AddedAvatarRepository.AddedAvatar old = rows.find("old-face").orElseThrow();
            long monthAgo = System.currentTimeMillis() - Duration.ofDays(31).toMillis();
            sql.query(c -> dev.lectern.core.store.sql.Jdbc.update(c,
                    "UPDATE avatars SET created_at = ? WHERE name = ?", monthAgo, "old-face"));
            AvatarCatalogue catalogue = new AvatarCatalogue(server.config().avatars(), rows, server.objects(),
                    server.ephemeralStore());
            assertThat(catalogue.purgeOlderThan(Duration.ofDays(30), System.currentTimeMillis())).isEqualTo(1);
            assertThat(listed()).contains("new-face").doesNotContain("old-face");
            assertThat(server.objects().get(old.faceKey())).isEmpty();
            assertThat(server.objects().get(old.voiceKey())).isEmpty();
            assertThat(preview("old-face", student).statusCode()).isEqualTo(404);
        }
    }

    private List<String> listed() throws Exception {
        List<String> names = new ArrayList<>();
        JsonNode list = http.get("/api/avatar/list", student).body(); // keyed by name, as the seed documents it
        list.fieldNames().forEachRemaining(n -> {
            assertThat(list.get(n).get("name").asText()).isEqualTo(n);
            names.add(n);
        });
        return names;
    }

    @Test
    void aLargePreviewIsSentFromItsFileWholeAndTheConnectionServesTheNextRequest() throws Exception {
        // 12 MiB: sent from the file as a region (never whole in the heap); the bytes and the length must be exact,
        // and the kept-alive connection must answer the next request after the region
        byte[] big = new byte[12 * 1024 * 1024];
        new java.util.Random(7).nextBytes(big);
        System.arraycopy(PNG, 0, big, 0, PNG.length);
        Files.write(dir.resolve("anna.png"), big);
        for (int i = 0; i < 3; i++) {
            HttpResponse<byte[]> r = preview(FakeAvatars.ANNA, student);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValueAsLong("content-length")).hasValue(big.length);
            assertThat(r.body()).isEqualTo(big);
        }
        assertThat(preview("nobody", student).statusCode()).isEqualTo(404);
    }

    @Test
    void previewAnswersTheImageOfAConfiguredAvatarAndClearErrorsOtherwise() throws Exception {
        HttpResponse<byte[]> anna = preview(FakeAvatars.ANNA, student);
        assertThat(anna.statusCode()).isEqualTo(200);
        assertThat(anna.headers().firstValue("content-type")).hasValue("image/png");
        assertThat(anna.body()).isEqualTo(PNG);

        assertThat(preview(FakeAvatars.ANNA, null).statusCode()).isEqualTo(401);
        assertThat(preview(FakeAvatars.ANNA, "not-a-token").statusCode()).isEqualTo(401);
        for (String name : List.of("nobody", FakeAvatars.BOB, FakeAvatars.CRASHY, FakeAvatars.GHOST, "../etc/passwd")) {
            HttpResponse<byte[]> r = preview(name, student);
            assertThat(r.statusCode()).as(name).isEqualTo(404);
            assertThat(json(r).get("error").asText()).isEqualTo("not_found");
            assertThat(json(r).get("requestId").asText()).isNotBlank();
        }
        assertError(http.post("/api/avatar/preview", Map.of("avatar_name", 7), student), 400, "bad_request");
        assertError(http.post("/api/avatar/preview", Map.of(), student), 400, "bad_request");
    }

    @Test
    void addIsForTutorsWithAValidNameAFaceImageAndAVoiceSample() throws Exception {
        Part name = Part.text("avatar_name", "new-face");
        assertError(add(student, name, face(PNG), voice(WAV)), 403, "forbidden");
        assertError(add(null, name, face(PNG), voice(WAV)), 401, "unauthorized");
        assertError(add(tutor, Part.text("avatar_name", "no spaces/allowed"), face(PNG), voice(WAV)), 400,
                "bad_request");
        // #19: a name reaches the avatar's command line; one starting with '-' would read as an option
        assertError(add(tutor, Part.text("avatar_name", "--help"), face(PNG), voice(WAV)), 400,
                "bad_request");
        assertError(add(tutor, face(PNG), voice(WAV)), 400, "bad_request");
        assertError(add(tutor, name, voice(WAV)), 400, "bad_request");
        assertError(add(tutor, name, face(PNG)), 400, "bad_request");
        assertError(add(tutor, name, face(WAV), voice(WAV)), 415, "unsupported_media_type");
        assertError(add(tutor, name, face(PNG), voice(PNG)), 415, "unsupported_media_type");
        assertError(add(tutor, name, face(new byte[0]), voice(WAV)), 400, "bad_request");
        assertError(add(tutor, Part.text("avatar_name", FakeAvatars.ANNA), face(PNG), voice(WAV)), 409,
                "avatar_exists");
        assertThat(listed()).doesNotContain("new-face");

        HttpJson.Reply ok = add(tutor, name, face(PNG), voice(MP3));
        assertThat(ok.status()).as(ok.raw().body()).isEqualTo(200);
        assertThat(ok.text("status")).isEqualTo("success");
        assertThat(ok.text("avatar_name")).isEqualTo("new-face");
        assertError(add(otherTutor, name, face(JPEG), voice(WAV)), 409, "avatar_exists");
        HttpResponse<byte[]> image = preview("new-face", student);
        assertThat(image.headers().firstValue("content-type")).hasValue("image/png");
        assertThat(image.body()).isEqualTo(PNG);
        assertThat(listed()).contains("new-face");
    }

    @Test
    void anAddedAvatarIsListedPreviewedStartedAndDeletedOnlyByItsTutorWhenNobodyUsesIt() throws Exception {
        HttpJson.Reply created = add(tutor, Part.text("avatar_name", "my-face"),
                Part.text("description", "added in a test"), face(JPEG), voice(WAV));
        assertThat(created.status()).as(created.raw().body()).isEqualTo(200);
        assertThat(created.text("message")).isEqualTo("Avatar created successfully");
        assertThat(created.body().at("/avatar/name").asText()).isEqualTo("my-face");
        assertThat(created.body().at("/avatar/source").asText()).isEqualTo("added");
        List<String> stored = new ArrayList<>();
        try (var files = Files.walk(Path.of(server.config().storage().dataDir()).resolve("objects")
                .resolve(AvatarCatalogue.BUCKET))) {
            files.filter(Files::isRegularFile).forEach(f -> stored.add(f.getFileName().toString()));
        }
        assertThat(stored).hasSize(2).anyMatch(n -> n.startsWith("my-face-") && n.endsWith("-face.jpg"))
                .anyMatch(n -> n.startsWith("my-face-") && n.endsWith("-voice.wav"));
        assertThat(listed()).contains(FakeAvatars.ANNA, "my-face");
        HttpResponse<byte[]> face = preview("my-face", student);
        assertThat(face.statusCode()).isEqualTo(200);
        assertThat(face.headers().firstValue("content-type")).hasValue("image/jpeg");
        assertThat(face.body()).isEqualTo(JPEG);

        // refusals: a student, a configured avatar, an unknown one, another tutor
        assertError(http.post("/api/avatar/delete", Map.of("avatar_name", "my-face"), student), 403, "forbidden");
        assertError(http.post("/api/avatar/delete", Map.of("avatar_name", "my-face"), null), 401, "unauthorized");
        assertError(http.post("/api/avatar/delete", Map.of("avatar_name", FakeAvatars.ANNA), tutor), 409,
                "configured_avatar");
        assertError(http.post("/api/avatar/delete", Map.of("avatar_name", "nobody"), tutor), 404, "not_found");
        assertError(http.post("/api/avatar/delete", Map.of("avatar_name", "my-face"), otherTutor), 403, "forbidden");
        assertError(http.post("/api/avatar/delete", Map.of("nom", "my-face"), tutor), 400, "bad_request");

        // in use: the student's real avatar process runs it
        HttpResponse<String> started = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.httpPort() + "/api/avatar/start")).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + student).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("avatar_name", "my-face")))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(started.body()).get("avatar_id").asText()).startsWith("my-face_user_");
        assertThat(Json.MAPPER.readTree(started.body()).get("avatar_name").asText()).isEqualTo("my-face");
        assertError(http.post("/api/avatar/delete", Map.of("avatar_name", "my-face"), tutor), 409, "avatar_in_use");
        assertThat(listed()).contains("my-face");

        HttpJson.Reply left = http.post("/api/avatar/disconnect", null, student);
        assertThat(left.text("status")).isEqualTo("success");
        assertThat(left.text("message")).isEqualTo("Disconnected from avatar my-face");
        HttpJson.Reply deleted = http.post("/api/avatar/delete", Map.of("avatar_name", "my-face"), tutor);
        assertThat(deleted.status()).as(deleted.raw().body()).isEqualTo(200);
        assertThat(deleted.text("status")).isEqualTo("success");
        assertThat(deleted.text("message")).isEqualTo("Avatar deleted successfully");

        assertThat(listed()).doesNotContain("my-face").contains(FakeAvatars.ANNA);
        assertThat(preview("my-face", student).statusCode()).isEqualTo(404);
        for (String name : stored) {
            assertThat(server.objects().get(AvatarCatalogue.BUCKET + "/" + name)).as(name).isEmpty();
        }
        assertError(http.post("/api/avatar/start", Map.of("avatar_name", "my-face"), student), 404, "not_found");
        assertError(http.post("/api/avatar/delete", Map.of("avatar_name", "my-face"), tutor), 404, "not_found");
        assertThat(http.get("/api/avatar/list", student).status()).isEqualTo(200); // still serving
    }
}

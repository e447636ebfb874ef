package dev.lectern.avatars;

import static dev.lectern.avatars.AvatarForms.PNG;
import static dev.lectern.avatars.AvatarForms.WAV;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.avatars.AvatarForms.Part;
import dev.lectern.core.json.Json;
import dev.lectern.media.FakeAvatars;
import dev.lectern.server.ContractValidator;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #20, seed 003 (the Virtual Tutor backend's README, "Avatar Endpoints"): every documented avatar call, sent as
 * that front end sends it (multipart forms where it says so, {@code name} for add and delete) to the production wiring
 * with real accounts and real avatar processes (the fake LiveTalking), answered with the documented status code,
 * content type, shape and field types: list, add (403 {@code {msg}} for a student), preview, start, the WebRTC proxy's
 * offer, disconnect, delete and the TTS models. Every reply also validates against the server's own
 * {@code /openapi.json} ({@link ContractValidator}), so the seed's shapes and the generated schemas cannot drift apart.
 */
class VirtualTutorAvatarContractIntegrationTest {
    private static final String SECRET = "avatar-contract-test-secret-0123456789abcdef";

    @TempDir
    Path dir;
    private LecternServer server;
    private ContractValidator contract;
    private HttpJson http;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String student;
    private String tutor;

    @BeforeEach
    void start() throws Exception {
        Path preview = Files.write(dir.resolve("anna.png"), PNG);
        server = LecternServer.start(FakeAvatars.config(Map.of(), avatars -> {
            for (JsonNode e : (ArrayNode) avatars.get("catalogue")) {
                if (e.get("name").asText().equals(FakeAvatars.ANNA)) {
                    ((ObjectNode) e).put("previewImage", preview.toString());
                }
            }
        }), Map.of("LECTERN_JWT_SECRET", SECRET));
        contract = ContractValidator.load(server.httpPort());
        http = new HttpJson(server.httpPort(), Duration.ofSeconds(60)).validating(contract);
        student = AvatarForms.signUp(server, http, "stu@example.com", null);
        tutor = AvatarForms.signUp(server, http, "tut@example.com", "tutor");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** A multipart call as the seed documents it; the reply has validated against /openapi.json. */
    private HttpResponse<byte[]> form(String path, String token, Part... parts) throws Exception {
        HttpResponse<byte[]> r = AvatarForms.post(client, server.httpPort(), path, token,
                HttpResponse.BodyHandlers.ofByteArray(), parts);
        contract.check("POST", path, r.statusCode(), r.headers().firstValue("content-type").orElse(null),
                new String(r.body(), StandardCharsets.UTF_8));
        return r;
    }

    /** The documented status, and a JSON body. */
    private static JsonNode json(HttpResponse<byte[]> r, int status) throws Exception {
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as(body).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
        return Json.MAPPER.readTree(body);
    }

    @Test
    void theDocumentedAvatarCallsGetTheDocumentedAnswers() throws Exception {
        // Get Available Avatars: an object keyed by avatar name
        JsonNode list = http.get("/api/avatar/list", student).body();
        assertThat(list.isObject()).isTrue();
        assertSeedAvatar(list.get(FakeAvatars.ANNA));

        // Add New Avatar (Tutor Only): multipart with name and the seed's fields; 403 {msg} for a student
        Part[] seedAdd = {Part.text("name", "my_custom_avatar"), Part.text("avatar_blur", "false"),
            Part.text("support_clone", "true"), Part.text("timbre", "custom_voice"), Part.text("tts_model", "CosyVoice"),
            Part.text("avatar_model", "musetalk"), Part.text("description", "My custom avatar"), Part.face(PNG),
            Part.voice(WAV)};
        JsonNode refused = json(form("/api/avatar/add", student, seedAdd), 403);
        assertThat(refused.get("msg").isTextual()).isTrue();
        assertThat(refused.get("msg").asText()).isNotBlank();
        JsonNode added = json(form("/api/avatar/add", tutor, seedAdd), 200);
        assertThat(added.get("status").asText()).isEqualTo("success");
        assertThat(added.get("message").asText()).isEqualTo("Avatar created successfully");
        assertThat(added.get("avatar_name").asText()).isEqualTo("my_custom_avatar");
        JsonNode mine = http.get("/api/avatar/list", student).body().get("my_custom_avatar");
        assertSeedAvatar(mine);
        assertThat(mine.get("description").asText()).isEqualTo("My custom avatar");

        // Get Avatar Preview Image: multipart avatar_name, the image itself
        HttpResponse<byte[]> image = form("/api/avatar/preview", student, Part.text("avatar_name", FakeAvatars.ANNA));
        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(image.headers().firstValue("content-type")).hasValue("image/png");
        assertThat(image.body()).isEqualTo(PNG);

        // Start Avatar Instance: multipart avatar_name
        JsonNode started = json(form("/api/avatar/start", student, Part.text("avatar_name", FakeAvatars.ANNA)), 200);
        String studentId = http.get("/api/token_status", student).text("user_id");
        assertThat(started.get("status").asText()).isEqualTo("success");
        assertThat(started.get("avatar_id").asText()).isEqualTo(FakeAvatars.ANNA + "_user_" + studentId);
        assertThat(started.get("port").isInt()).isTrue();
        assertThat(started.get("webrtc_url").asText()).isEqualTo("/api/webrtc/offer");
        assertThat(started.get("gpu").isInt()).isTrue();
        assertThat(started.get("connections").asInt()).isEqualTo(1);
        assertThat(started.get("is_new_instance").asBoolean()).isTrue();
        assertThat(started.get("message").asText()).isEqualTo("Avatar started successfully (port "
                + started.get("port").asInt() + ", connections: 1)");

        // WebRTC Proxy: the offer, proxied from the caller's avatar instance
        HttpJson.Reply answer = http.post("/api/webrtc/offer", Map.of("sdp", "v=0\no=- browser", "type", "offer"),
                student);
        assertThat(answer.status()).as(answer.raw().body()).isEqualTo(200);
        assertThat(answer.text("type")).isEqualTo("answer");
        assertThat(answer.text("sdp")).startsWith("v=0");
        assertThat(answer.body().get("sessionid").isInt()).isTrue();

        // Disconnect from Avatar
        HttpJson.Reply left = http.post("/api/avatar/disconnect", null, student);
        assertThat(left.status()).isEqualTo(200);
        assertThat(left.text("status")).isEqualTo("success");
        assertThat(left.text("message")).isEqualTo("Disconnected from avatar " + FakeAvatars.ANNA);

        // Delete Avatar (Tutor Only): multipart name
        JsonNode notYours = json(form("/api/avatar/delete", student, Part.text("name", "my_custom_avatar")), 403);
        assertThat(notYours.get("msg").isTextual()).isTrue();
        JsonNode deleted = json(form("/api/avatar/delete", tutor, Part.text("name", "my_custom_avatar")), 200);
        assertThat(deleted.get("status").asText()).isEqualTo("success");
        assertThat(deleted.get("message").asText()).isEqualTo("Avatar deleted successfully");
        assertThat(http.get("/api/avatar/list", student).body().has("my_custom_avatar")).isFalse();

        // Get TTS Models: an object keyed by model
        HttpJson.Reply models = http.get("/api/tts/models", student);
        assertThat(models.status()).isEqualTo(200);
        assertThat(models.body().isObject()).isTrue();
        assertThat(models.body().size()).isPositive();
        for (JsonNode m : models.body()) {
            assertThat(m.get("full_name").isTextual()).as(m.toString()).isTrue();
            assertThat(m.get("clone").isBoolean()).isTrue();
            assertThat(m.get("status").isTextual()).isTrue();
            assertThat(m.get("license").isTextual()).isTrue();
            assertThat(m.has("timbres") && m.has("cur_timbre")).as(m.toString()).isTrue();
        }
        assertThat(models.body()).anySatisfy(m -> assertThat(m.get("status").asText()).isEqualTo("active"));
    }

    /** One entry of the list: the seed's six fields with their JSON types. */
    private static void assertSeedAvatar(JsonNode a) {
        assertThat(a).isNotNull();
        assertThat(a.get("clone").isBoolean()).as(a.toString()).isTrue();
        for (String field : List.of("description", "status", "timbre", "tts_model", "avatar_model")) {
            assertThat(a.get(field).isTextual()).as(field + " in " + a).isTrue();
        }
    }
}

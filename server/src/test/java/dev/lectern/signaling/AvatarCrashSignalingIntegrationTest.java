package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.media.FakeAvatars;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A student's avatar process dies on its own: the student's open signaling socket is told with an {@code error}. */
class AvatarCrashSignalingIntegrationTest {
    private LecternServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void usersOfACrashedAvatarGetASignalingError() throws Exception {
        server = LecternServer.start(FakeAvatars.config(Map.of(), tree -> { }), Map.of());
        HttpJson http = new HttpJson(server.httpPort());
        String email = "cara@example.com";
        http.post("/api/send_verification", Map.of("email", email, "purpose", "register"), null);
        String code = server.ephemeralStore().get("code:register:" + email).orElseThrow();
        HttpJson.Reply reg = http.post("/api/register",
                Map.of("email", email, "password", "Correct-Horse-9-Battery", "code", code), null);
        assertThat(reg.status()).isEqualTo(201);
        String token = reg.text("token");

        WsClient ws = WsClient.connect(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(),
                "ws://127.0.0.1:" + server.signalingPort() + "/ws?token=" + token);
        HttpJson.Reply started = http.post("/api/avatar/start", Map.of("avatar_name", FakeAvatars.CRASHY), token);
        assertThat(started.status()).as(started.raw().body()).isEqualTo(200);

        // the fake exits about 1.5 s after it became ready; the manager notices and signaling tells the user
        JsonNode error = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (error == null && System.nanoTime() < deadline) {
            JsonNode frame = Json.MAPPER.readTree(ws.nextText());
            if ("error".equals(frame.path("event").asText())) {
                error = frame.get("data");
            }
        }
        assertThat(error).isNotNull();
        assertThat(error.get("code").asText()).isEqualTo("avatar_crashed");
        assertThat(error.get("avatar_name").asText()).isEqualTo(FakeAvatars.CRASHY);
    }
}

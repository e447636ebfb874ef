package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #19 item 12, against the real server with real tokens: a socket opened with a token stayed open after the
 * token was revoked (logout, password change). Now the revocation is announced on the ephemeral store's pub/sub and
 * every node closes the sockets (Socket.IO and /ws) opened with it.
 */
class RevocationIntegrationTest {
    private static final String PASSWORD = "Correct-horse-42";
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path data;
    private LecternServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private WsClient socketIo(String token) throws Exception {
        WsClient c = WsClient.connect(client, "ws://127.0.0.1:" + server.signalingPort()
                + "/socket.io/?EIO=4&transport=websocket");
        assertThat(c.nextText()).startsWith("0{");
        c.send("40{\"token\":\"" + token + "\"}");
        assertThat(c.nextText()).startsWith("40{\"sid\":");
        return c;
    }

    @Test
    void logoutAndPasswordChangeCloseTheLiveSocketsOfTheirTokens() throws Exception {
        server = LecternServer.start(TestConfigs.defaults(Map.of("LECTERN_SIGNALING__AD_HOC_ROOMS", "true",
                "LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4")), Map.of());
        HttpJson http = new HttpJson(server.httpPort());
        assertThat(http.post("/api/send_verification", Map.of("email", "sam@example.com"), null).status())
                .isEqualTo(200);
        String code = server.ephemeralStore().get("code:register:sam@example.com").orElseThrow();
        String first = http.post("/api/register", Map.of("email", "sam@example.com", "password", PASSWORD,
                "code", code), null).text("token");
        String second = http.post("/api/login", Map.of("email", "sam@example.com", "password", PASSWORD), null)
                .text("token");

        WsClient a = socketIo(first);
        WsClient aJson = WsClient.connect(client, "ws://127.0.0.1:" + server.signalingPort() + "/ws?token=" + first);
        WsClient b = socketIo(second);

        assertThat(http.post("/api/logout", Map.of(), first).status()).isIn(200, 204);
        a.awaitClose(); // before: both stayed open with a revoked token
        aJson.awaitClose();
        // the other token's socket is untouched: it still answers
        b.send("421[\"join\",{\"room_id\":\"still-here\"}]");
        String reply = b.nextText();
        while (!reply.startsWith("431[")) {
            reply = b.nextText();
        }

        // a password change revokes every token of the account
        assertThat(http.post("/api/send_verification", Map.of("email", "sam@example.com",
                "purpose", "reset_password"), null).status()).isEqualTo(200);
        String reset = server.ephemeralStore().get("code:reset_password:sam@example.com").orElseThrow();
        assertThat(http.post("/api/update_password", Map.of("code", reset, "new_password", "Another-horse-43"),
                second).status()).isEqualTo(200);
        b.awaitClose();
    }

    /**
     * Item 12 (rest): a socket outlived its token. A token that expires in about three seconds (issued with the
     * server's own secret by a token service whose clock runs 57 s behind) opens a Socket.IO and a /ws connection;
     * both are closed when it expires, without any revocation.
     */
    @Test
    void aSocketIsClosedWhenItsTokenExpires() throws Exception {
        String secret = "an-expiry-test-secret-that-is-long-enough-for-hs256-0123456789";
        server = LecternServer.start(TestConfigs.defaults(Map.of("LECTERN_SIGNALING__AD_HOC_ROOMS", "true",
                "LECTERN_STORAGE__DATA_DIR", data.toString())),
                Map.of("LECTERN_JWT_SECRET", secret));
        dev.lectern.accounts.TokenService behind = new dev.lectern.accounts.TokenService(
                secret.getBytes(java.nio.charset.StandardCharsets.UTF_8), server.ephemeralStore(),
                Duration.ofSeconds(60), java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofSeconds(-57)));
        String token = behind.issue("short-lived", dev.lectern.core.auth.Role.STUDENT).token();

        WsClient sio = socketIo(token); // accepted: the token is valid for now
        WsClient json = WsClient.connect(client, "ws://127.0.0.1:" + server.signalingPort() + "/ws?token=" + token);
        sio.awaitClose(); // before: both stayed open for as long as the client liked
        json.awaitClose();
        // and the expired token opens nothing any more
        WsClient late = WsClient.connect(client, "ws://127.0.0.1:" + server.signalingPort()
                + "/socket.io/?EIO=4&transport=websocket");
        assertThat(late.nextText()).startsWith("0{");
        late.send("40{\"token\":\"" + token + "\"}");
        assertThat(late.nextText()).startsWith("44");
    }

    @Test
    void wsTakesItsTokenAsASubprotocolSoItStaysOutOfUrls() throws Exception {
        server = LecternServer.start(TestConfigs.defaults(Map.of("LECTERN_SIGNALING__AD_HOC_ROOMS", "true",
                "LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4")), Map.of());
        HttpJson http = new HttpJson(server.httpPort());
        assertThat(http.post("/api/send_verification", Map.of("email", "pia@example.com"), null).status())
                .isEqualTo(200);
        String code = server.ephemeralStore().get("code:register:pia@example.com").orElseThrow();
        String token = http.post("/api/register", Map.of("email", "pia@example.com", "password", PASSWORD,
                "code", code), null).text("token");
        WsClient c = new WsClient();
        c.ws = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)).subprotocols("lectern",
                        "bearer." + token)
                .buildAsync(java.net.URI.create("ws://127.0.0.1:" + server.signalingPort() + "/ws"), c)
                .get(10, java.util.concurrent.TimeUnit.SECONDS); // before: 401, the token had to be in the URL
        assertThat(c.ws.getSubprotocol()).isEqualTo("lectern");
        c.send("{\"event\":\"join\",\"data\":{\"room_id\":\"sub\"},\"id\":1}");
        String f = c.nextText();
        while (!f.contains("\"ack\":1")) {
            f = c.nextText();
        }
        assertThat(f).contains("\"room_id\":\"sub\"");
        // a forged one is refused like a forged query token
        java.util.concurrent.CompletableFuture<java.net.http.WebSocket> forged = client.newWebSocketBuilder()
                .subprotocols("lectern", "bearer.forged").buildAsync(java.net.URI.create("ws://127.0.0.1:"
                        + server.signalingPort() + "/ws"), new WsClient());
        assertThat(forged).failsWithin(Duration.ofSeconds(10));
    }
}

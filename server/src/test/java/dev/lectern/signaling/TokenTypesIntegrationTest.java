package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.lectern.accounts.oidc.FakeOidcIssuer;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #24: entry points declare which kinds of token they take, as the lecture seed's {@code require_token_types}
 * does, and one check ({@code AcceptedTokens}) refuses the others on REST routes and signaling connects alike, naming
 * the refused kind. Against the real server, with Lectern's own tokens and Cognito-style ID and access tokens from a
 * fake OIDC issuer on loopback.
 */
class TokenTypesIntegrationTest {
    private static final String CLIENT = "lectern-app-client";
    private static final String PASSWORD = "Correct-horse-42";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @TempDir
    Path data;
    private FakeOidcIssuer issuer;
    private LecternServer server;
    private HttpJson http;

    @BeforeEach
    void issuer() throws Exception {
        issuer = new FakeOidcIssuer();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        issuer.close();
    }

    private void start(Map<String, String> more) {
        Map<String, String> o = new HashMap<>(Map.of(
                "LECTERN_STORAGE__DATA_DIR", data.toString(),
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4",
                "LECTERN_ACCOUNTS__OIDC__ISSUER", issuer.issuer(),
                "LECTERN_ACCOUNTS__OIDC__CLIENT_ID", CLIENT));
        o.putAll(more);
        server = LecternServer.start(TestConfigs.defaults(o), Map.of());
        http = new HttpJson(server.httpPort());
    }

    private String idToken(String sub) throws Exception {
        return FakeOidcIssuer.sign(issuer.key("k1"), new JWTClaimsSet.Builder().issuer(issuer.issuer()).subject(sub)
                .audience(CLIENT).claim("token_use", "id").claim("email", sub + "@example.org")
                .expirationTime(new Date(System.currentTimeMillis() + 600_000)).jwtID("id-" + sub).build());
    }

    /** An access token of a user the server has met (an access token has no e-mail to provision one from). */
    private String accessToken(String sub) throws Exception {
        assertThat(http.get("/api/token_status", idToken(sub)).status()).isEqualTo(200);
        return FakeOidcIssuer.sign(issuer.key("k1"), new JWTClaimsSet.Builder().issuer(issuer.issuer()).subject(sub)
                .claim("client_id", CLIENT).claim("token_use", "access")
                .expirationTime(new Date(System.currentTimeMillis() + 600_000)).jwtID("access-" + sub).build());
    }

    /** Lectern's own token, from the seed's register flow. */
    private String ownToken(String email) throws Exception {
        assertThat(http.post("/api/send_verification", Map.of("email", email), null).status()).isEqualTo(200);
        String code = server.ephemeralStore().get("code:register:" + email).orElseThrow();
        return http.post("/api/register", Map.of("email", email, "password", PASSWORD, "code", code), null)
                .text("token");
    }

    /** The first Socket.IO packet the server answers a CONNECT with this token. */
    private String socketIoConnect(String token) throws Exception {
        WsClient c = WsClient.connect(client, "ws://127.0.0.1:" + server.signalingPort()
                + "/socket.io/?EIO=4&transport=websocket");
        assertThat(c.nextText()).startsWith("0{");
        c.send("40{\"token\":\"" + token + "\"}");
        String answer = c.nextText();
        c.ws.abort();
        return answer;
    }

    /** The status line and body of a {@code /ws} upgrade with this token, over a plain socket. */
    private String[] wsUpgrade(String token) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.signalingPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /ws?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.write(b);
            }
            String h = head.toString(StandardCharsets.US_ASCII);
            String statusLine = h.substring(0, h.indexOf("\r\n"));
            int length = 0;
            for (String line : h.split("\r\n")) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return new String[] {statusLine, new String(in.readNBytes(length), StandardCharsets.UTF_8)};
        }
    }

    @Test
    void everyKindWorksByDefaultAndARouteThatTakesOnlyLecternsOwnRefusesTheOthersNamingThem() throws Exception {
        start(Map.of());
        String own = ownToken("ada@example.com");
        String access = accessToken("cog-1");
        String id = idToken("cog-2");

        // token_status takes every kind (the default) and says which it was given
        HttpJson.Reply byAccess = http.get("/api/token_status", access);
        assertThat(byAccess.status()).as(byAccess.raw().body()).isEqualTo(200);
        assertThat(byAccess.text("token_type")).isEqualTo("oidc_access");
        assertThat(byAccess.body().get("expires_in_seconds").asLong()).isBetween(1L, 600L);
        assertThat(http.get("/api/token_status", id).text("token_type")).isEqualTo("oidc_id");
        assertThat(http.get("/api/token_status", own).text("token_type")).isEqualTo("lectern");

        // logout revokes Lectern's own tokens only: a provider's token is refused with 403 naming its kind
        HttpJson.Reply refused = http.post("/api/logout", Map.of(), access);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.text("error")).isEqualTo("token_type_refused");
        assertThat(refused.text("msg")).isEqualTo("a oidc_access token is not accepted here (accepted: lectern)");
        assertThat(http.post("/api/logout", Map.of(), id).text("message")).startsWith("a oidc_id token");
        // a forged provider token is still a 401, not a 403
        assertThat(http.post("/api/logout", Map.of(), access.substring(0, access.length() - 4) + "AAAA").status())
                .isEqualTo(401);
        assertThat(http.post("/api/logout", Map.of(), own).status()).isEqualTo(200);

        // signaling takes every kind by default
        assertThat(socketIoConnect(access)).startsWith("40{\"sid\":");
        assertThat(socketIoConnect(id)).startsWith("40{\"sid\":");
    }

    @Test
    void signalingConfiguredForCognitoOnlyRefusesLecternsOwnTokenOnSocketIoAndWs() throws Exception {
        start(Map.of("LECTERN_SIGNALING__TOKEN_TYPES", "cognito"));
        String own = ownToken("ben@example.com");

        assertThat(socketIoConnect(own)).isEqualTo(
                "44{\"message\":\"a lectern token is not accepted here (accepted: oidc_id, oidc_access)\"}");
        assertThat(socketIoConnect("forged")).isEqualTo("44{\"message\":\"unauthorized\"}");
        assertThat(socketIoConnect(accessToken("cog-3"))).startsWith("40{\"sid\":");
        assertThat(socketIoConnect(idToken("cog-4"))).startsWith("40{\"sid\":");

        String[] ws = wsUpgrade(own);
        assertThat(ws[0]).startsWith("HTTP/1.1 403");
        assertThat(ws[1]).contains("\"error\":\"token_type_refused\"",
                "a lectern token is not accepted here (accepted: oidc_id, oidc_access)");
        assertThat(wsUpgrade(accessToken("cog-5"))[0]).startsWith("HTTP/1.1 101");
        assertThat(wsUpgrade("forged")[0]).startsWith("HTTP/1.1 401");

        // REST routes are untouched by the signaling setting
        assertThat(http.get("/api/token_status", own).status()).isEqualTo(200);
    }

    @Test
    void theSocketIoClientLibrarySeesTheRefusalNamingTheKind() throws Exception {
        NodePeer.assumeAvailable();
        start(Map.of("LECTERN_SIGNALING__TOKEN_TYPES", "oidc_access"));
        String url = "http://127.0.0.1:" + server.signalingPort();
        String access = accessToken("cog-6");
        String id = idToken("cog-6");
        try (NodePeer refused = new NodePeer(url, "{\"token\":\"" + id + "\"}", "websocket");
                NodePeer accepted = new NodePeer(url, "{\"token\":\"" + access + "\"}", "polling,websocket")) {
            assertThat(refused.awaitKey("connect_error").asText())
                    .isEqualTo("a oidc_id token is not accepted here (accepted: oidc_access)");
            accepted.awaitKey("connect");
        }
    }
}

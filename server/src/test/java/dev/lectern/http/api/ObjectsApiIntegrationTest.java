package dev.lectern.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Signed object URLs over a real socket: valid, tampered, expired, missing and path tricks. */
class ObjectsApiIntegrationTest {
    private final HttpClient client = HttpClient.newHttpClient();
    private LecternServer server;

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(Map.of()), Map.of());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<byte[]> get(String pathAndQuery) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + pathAndQuery))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aSignedUrlServesTheObjectWithItsContentType() throws Exception {
        server.objects().put("tts/hello.mp3", new byte[] {73, 68, 51});
        HttpResponse<byte[]> r = get(server.objects().signedUrl("tts/hello.mp3", Duration.ofMinutes(5)));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).containsExactly(73, 68, 51);
        assertThat(r.headers().firstValue("content-type")).contains("audio/mpeg");
    }

    @Test
    void tamperedExpiredAndMissingLinksAreRefused() throws Exception {
        server.objects().put("tts/a.mp3", new byte[] {1});
        String url = server.objects().signedUrl("tts/a.mp3", Duration.ofMinutes(5));
        assertThat(get(url.replace("tts/a.mp3", "tts/b.mp3")).statusCode()).isEqualTo(403);
        assertThat(get(url.substring(0, url.length() - 2) + "xx").statusCode()).isEqualTo(403);
        assertThat(get("/api/objects/tts/a.mp3").statusCode()).isEqualTo(403);
        assertThat(get(server.objects().signedUrl("tts/a.mp3", Duration.ofSeconds(-5))).statusCode()).isEqualTo(410);
        assertThat(get(server.objects().signedUrl("tts/none.mp3", Duration.ofMinutes(5))).statusCode()).isEqualTo(404);
    }

    @Test
    void pathTricksNeverReachTheFileSystem() throws Exception {
        for (String p : new String[] {"/api/objects/tts/..?expires=1&sig=x", "/api/objects/../config/x?expires=1&sig=x",
                "/api/objects/tts/%2e%2e%2f%2e%2e%2fetc?expires=1&sig=x", "/api/objects/..%2F..%2Fetc/passwd"}) {
            assertThat(get(p).statusCode()).as(p).isIn(400, 404);
        }
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }
}

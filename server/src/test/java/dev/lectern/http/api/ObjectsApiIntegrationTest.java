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

    private HttpResponse<byte[]> get(String pathAndQuery, String... headers) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + pathAndQuery))
                .headers(headers).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void byteRangesLetABrowserSeek() throws Exception {
        byte[] video = new byte[1000];
        for (int i = 0; i < video.length; i++) {
            video[i] = (byte) i;
        }
        server.objects().put("lessons/v.mp4", video);
        String url = server.objects().signedUrl("lessons/v.mp4", Duration.ofMinutes(5));

        HttpResponse<byte[]> whole = get(url);
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("accept-ranges")).contains("bytes");
        assertThat(whole.headers().firstValue("content-type")).contains("video/mp4");
        String etag = whole.headers().firstValue("etag").orElseThrow();

        HttpResponse<byte[]> middle = get(url, "Range", "bytes=100-199");
        assertThat(middle.statusCode()).isEqualTo(206);
        assertThat(middle.headers().firstValue("content-range")).contains("bytes 100-199/1000");
        assertThat(middle.headers().firstValueAsLong("content-length")).hasValue(100);
        assertThat(middle.body()).isEqualTo(java.util.Arrays.copyOfRange(video, 100, 200));

        HttpResponse<byte[]> open = get(url, "Range", "bytes=990-");
        assertThat(open.statusCode()).isEqualTo(206);
        assertThat(open.headers().firstValue("content-range")).contains("bytes 990-999/1000");
        assertThat(open.body()).isEqualTo(java.util.Arrays.copyOfRange(video, 990, 1000));
        HttpResponse<byte[]> suffix = get(url, "Range", "bytes=-5");
        assertThat(suffix.headers().firstValue("content-range")).contains("bytes 995-999/1000");
        HttpResponse<byte[]> pastEnd = get(url, "Range", "bytes=5-5000");
        assertThat(pastEnd.headers().firstValue("content-range")).contains("bytes 5-999/1000");

        HttpResponse<byte[]> beyond = get(url, "Range", "bytes=1000-");
        assertThat(beyond.statusCode()).isEqualTo(416);
        assertThat(beyond.headers().firstValue("content-range")).contains("bytes */1000");
        assertThat(get(url, "Range", "bytes=-0").statusCode()).isEqualTo(416);
        // bad syntax or several ranges: the whole object, as RFC 9110 allows
        assertThat(get(url, "Range", "bytes=9-3").statusCode()).isEqualTo(200);
        assertThat(get(url, "Range", "bytes=0-1,5-6").statusCode()).isEqualTo(200);
        assertThat(get(url, "Range", "pages=1-2").statusCode()).isEqualTo(200);

        // If-Range: the current validator keeps the range; a stale one (the object changed) gets it all
        assertThat(get(url, "Range", "bytes=0-9", "If-Range", etag).statusCode()).isEqualTo(206);
        assertThat(get(url, "Range", "bytes=0-9", "If-Range", "\"stale\"").statusCode()).isEqualTo(200);
        String lastModified = whole.headers().firstValue("last-modified").orElseThrow();
        assertThat(get(url, "Range", "bytes=0-9", "If-Range", lastModified).statusCode()).isEqualTo(206);
        assertThat(get(url, "Range", "bytes=0-9", "If-Range", "Thu, 01 Jan 1970 00:00:00 GMT").statusCode())
                .isEqualTo(200);
    }
}

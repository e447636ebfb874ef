package dev.lectern.core.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.testing.S3Proxy;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;

/** The S3 object store against S3Proxy (a real S3 API server with an in-memory blobstore), run as its own process. */
class S3ObjectStoreIntegrationTest {
    private static final String IDENTITY = S3Proxy.IDENTITY;
    private static final String CREDENTIAL = S3Proxy.CREDENTIAL;
    private static S3Proxy proxy;
    private static URI endpoint;

    private final HttpClient http = HttpClient.newHttpClient();
    private S3ObjectStore store;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        proxy = S3Proxy.start();
        endpoint = proxy.endpoint();
    }

    @AfterAll
    static void stopS3Proxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @BeforeEach
    void setUp() {
        store = new S3ObjectStore(endpoint, "us-east-1", "test-" + UUID.randomUUID(), true, IDENTITY, CREDENTIAL, 3,
                Clock.systemUTC()).ensureBucket();
    }

    @AfterEach
    void tearDown() {
        store.purgeOlderThan(Duration.ofDays(-1));
        store.close();
    }

    @Test
    void putGetDelete() {
        store.put("tts/a.mp3", new byte[] {1, 2, 3});
        assertThat(store.get("tts/a.mp3")).get().isEqualTo(new byte[] {1, 2, 3});
        assertThat(store.delete("tts/a.mp3")).isTrue();
        assertThat(store.get("tts/a.mp3")).isEmpty();
        assertThat(store.delete("tts/a.mp3")).isFalse();
    }

    @Test
    void aFileStreamsInAndOutAndUploadsAreNeverPurgedByAge() throws Exception {
        Path dir = Files.createTempDirectory("s3-stream");
        Path big = dir.resolve("big.bin");
        byte[] block = new byte[64 * 1024];
        new java.util.Random(7).nextBytes(block);
        try (var out = Files.newOutputStream(big)) {
            for (int i = 0; i < 96; i++) { // 6 MiB: more than one buffer of the SDK's streaming body
                out.write(block);
            }
        }
        store.put("uploads/u1.f1.bin", big);
        Path back = dir.resolve("back.bin");
        assertThat(store.copyTo("uploads/u1.f1.bin", back)).isTrue();
        assertThat(Files.mismatch(big, back)).isEqualTo(-1L);
        assertThat(store.copyTo("uploads/missing.bin", dir.resolve("none"))).isFalse();
        assertThat(store.purgeOlderThan(Duration.ofDays(-1))).isZero();
        assertThat(store.delete("uploads/u1.f1.bin")).isTrue();
        assertThat(store.delete("uploads/u1.f1.bin")).isFalse();
    }

    @Test
    void presignedUrlsServeTheObjectAndTamperedOnesAreRefused() throws Exception {
        store.put("tts/hello.mp3", new byte[] {73, 68, 51});
        String url = store.signedUrl("tts/hello.mp3", Duration.ofMinutes(5));
        assertThat(url).contains("X-Amz-Signature=").contains("/tts/hello.mp3");
        HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).containsExactly(73, 68, 51);
        HttpResponse<byte[]> tampered = http.send(HttpRequest.newBuilder(URI.create(
                url.replace("tts/hello.mp3", "tts/other.mp3"))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(tampered.statusCode()).isEqualTo(403);
    }

    @Test
    void objectsExpireByPurge() {
        store.put("tts/old.mp3", new byte[1]);
        S3ObjectStore later = new S3ObjectStore(endpoint, "us-east-1", bucketOf(store), true, IDENTITY, CREDENTIAL, 3,
                Clock.fixed(Instant.now().plus(Duration.ofDays(2)), ZoneOffset.UTC));
        try {
            assertThat(later.purgeOlderThan(Duration.ofDays(3))).isZero();
            assertThat(later.purgeOlderThan(Duration.ofDays(1))).isEqualTo(1);
            assertThat(store.get("tts/old.mp3")).isEmpty();
        } finally {
            later.close();
        }
    }

    @Test
    void unsafeKeysAreRefusedAndAnUnreachableStoreFailsAfterItsRetries() throws Exception {
        assertThatThrownBy(() -> store.put("../x", new byte[1])).isInstanceOf(IllegalArgumentException.class);
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        S3ObjectStore down = new S3ObjectStore(URI.create("http://127.0.0.1:" + dead), "us-east-1", "b", true, "a",
                "b", 2, Clock.systemUTC());
        try {
            assertThatThrownBy(() -> down.put("tts/a.mp3", new byte[1])).isInstanceOf(SdkClientException.class);
        } finally {
            down.close();
        }
    }

    private static String bucketOf(S3ObjectStore s) {
        return s.bucket();
    }
}

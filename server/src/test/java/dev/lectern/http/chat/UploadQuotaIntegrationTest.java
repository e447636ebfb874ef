package dev.lectern.http.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.server.LecternServer;
import dev.lectern.server.TestTokens;
import dev.lectern.testing.TestConfigs;
import dev.lectern.testing.TestServices;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #19 item 9, against the real server: a signed-up student could fill the disk with uploads (no per-user
 * quota, any number at once, nothing kept free). Now bytes and files per user are capped (checked from the
 * Content-Length before anything is spooled), one upload at a time per user, and below the free-disk floor 507.
 */
class UploadQuotaIntegrationTest {
    private static final String BOUNDARY = "xBoUnDaRy42";

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private FakeModelServer upstream;
    private LecternServer server;
    /** The second node of the two-node test. */
    private LecternServer other;
    private final String redisPrefix = "lectern-test-uploads-" + java.util.UUID.randomUUID().toString().substring(0, 8)
            + ":";

    @AfterEach
    void tearDown() {
        if (other != null) {
            other.close();
            try (redis.clients.jedis.Jedis jedis = new redis.clients.jedis.Jedis(TestServices.REDIS_HOST,
                    TestServices.REDIS_PORT)) {
                for (String key : jedis.keys(redisPrefix + "*")) {
                    jedis.del(key);
                }
            }
        }
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private void start(Map<String, String> overrides) throws Exception {
        upstream = new FakeModelServer();
        Map<String, String> env = new HashMap<>(Map.of("LECTERN_STORAGE__DATA_DIR", dir.resolve("data").toString()));
        env.putAll(overrides);
        ServerConfig d = TestConfigs.defaults(env);
        server = LecternServer.start(d.withAi(TestAi.config(upstream.baseUrl())), Map.of("FAKE_API_KEY", "sk-test"),
                TestTokens.ALICE_AND_BOB);
    }

    private static byte[] body(String name, int bytes) {
        String text = "notes ".repeat(bytes / 6 + 1).substring(0, bytes);
        return DocumentsIntegrationTest.multipart(BOUNDARY, List.of(new DocumentsIntegrationTest.Part("file", name,
                text.getBytes(StandardCharsets.UTF_8))));
    }

    private HttpResponse<String> upload(String token, byte[] body) throws Exception {
        return upload(server, token, body);
    }

    private HttpResponse<String> upload(LecternServer node, String token, byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
                        + "/api/chat/upload")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Starts alice's upload of {@code slow} on {@code node}, sending its first 1000 bytes and holding the rest. */
    private static Socket holdUpload(LecternServer node, byte[] slow) throws Exception {
        Socket s = new Socket("127.0.0.1", node.httpPort());
        s.setSoTimeout(30_000);
        OutputStream out = s.getOutputStream();
        out.write(("POST /api/chat/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice\r\n"
                + "Content-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nContent-Length: " + slow.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(slow, 0, 1000);
        out.flush();
        return s;
    }

    /** Sends the rest of a held upload; the status line's first 12 bytes ({@code HTTP/1.1 200}). */
    private static String finishUpload(Socket s, byte[] slow) throws Exception {
        OutputStream out = s.getOutputStream();
        out.write(slow, 1000, slow.length - 1000);
        out.flush();
        InputStream in = s.getInputStream();
        return new String(in.readNBytes(12), StandardCharsets.US_ASCII);
    }

    private static String error(HttpResponse<String> r) throws Exception {
        JsonNode j = Json.MAPPER.readTree(r.body());
        return j.path("error").asText();
    }

    @Test
    void filesAndBytesPerUserAreCapped() throws Exception {
        start(Map.of("LECTERN_UPLOADS__MAX_FILES_PER_USER", "2", "LECTERN_UPLOADS__MAX_BYTES_PER_USER", "50000"));
        assertThat(upload("alice", body("a.txt", 1000)).statusCode()).isEqualTo(200);
        HttpResponse<String> tooBig = upload("alice", body("big.txt", 60_000));
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(error(tooBig)).isEqualTo("quota_exceeded");
        assertThat(upload("alice", body("b.txt", 1000)).statusCode()).isEqualTo(200);
        HttpResponse<String> third = upload("alice", body("c.txt", 1000));
        assertThat(third.statusCode()).isEqualTo(413);
        assertThat(error(third)).isEqualTo("quota_exceeded");
        // another user has their own quota
        assertThat(upload("bob", body("a.txt", 1000)).statusCode()).isEqualTo(200);
    }

    @Test
    void belowTheFreeDiskFloorUploadsGet507() throws Exception {
        start(Map.of("LECTERN_UPLOADS__MIN_FREE_DISK_BYTES", Long.toString(Long.MAX_VALUE / 2)));
        HttpResponse<String> r = upload("alice", body("a.txt", 1000));
        assertThat(r.statusCode()).isEqualTo(507);
        assertThat(error(r)).isEqualTo("insufficient_storage");
    }

    @Test
    void oneUploadAtATimePerUser() throws Exception {
        start(Map.of());
        byte[] slow = body("slow.txt", 200_000);
        // the held upload is admitted on the blocking executor: until then a second may get in first, and while that
        // one runs the held one is refused in its turn. Then both end; hold a new one and try again.
        Socket held = holdUpload(server, slow);
        HttpResponse<String> second = upload("alice", body("second.txt", 1000));
        for (int i = 0; i < 20 && second.statusCode() == 200; i++) {
            held.close();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> upload("alice", body("free.txt", 100)).statusCode() == 200); // the lock is free
            held = holdUpload(server, slow);
            second = upload("alice", body("second.txt", 1000));
        }
        try (Socket s = held) {
            assertThat(second.statusCode()).isEqualTo(429);
            assertThat(error(second)).isEqualTo("upload_in_progress");
            assertThat(upload("bob", body("other.txt", 1000)).statusCode()).isEqualTo(200);
            assertThat(finishUpload(s, slow)).endsWith("200");
        }
        assertThat(upload("alice", body("after.txt", 1000)).statusCode()).isEqualTo(200);
    }

    /**
     * Issue #19: the one-upload-at-a-time rule held per node, so a client behind a load balancer could upload on
     * every node at once. Two nodes on one real Redis: while alice's upload runs on node 1, node 2 refuses her
     * second (429) but takes bob's, and takes hers once the first is over.
     */
    @Test
    void oneUploadAtATimePerUserAcrossNodes() throws Exception {
        TestServices.requireRedis();
        Map<String, String> redis = Map.of("LECTERN_STORAGE__REDIS__URL", TestServices.redisUrl(),
                "LECTERN_STORAGE__REDIS__KEY_PREFIX", redisPrefix);
        start(redis);
        Map<String, String> env = new HashMap<>(redis);
        env.put("LECTERN_STORAGE__DATA_DIR", dir.resolve("data-2").toString());
        other = LecternServer.start(TestConfigs.defaults(env).withAi(TestAi.config(upstream.baseUrl())),
                Map.of("FAKE_API_KEY", "sk-test"), TestTokens.ALICE_AND_BOB);
        byte[] slow = body("slow.txt", 200_000);
        try (Socket s = holdUpload(server, slow)) {
            // node 1 takes the lock on its blocking executor: once its key is in Redis, node 2 must refuse
            try (redis.clients.jedis.Jedis jedis = new redis.clients.jedis.Jedis(TestServices.REDIS_HOST,
                    TestServices.REDIS_PORT)) {
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                        .until(() -> jedis.exists(redisPrefix + "lock:upload:alice"));
            }
            HttpResponse<String> second = upload(other, "alice", body("second.txt", 1000));
            assertThat(second.statusCode()).as(second.body()).isEqualTo(429);
            assertThat(error(second)).isEqualTo("upload_in_progress");
            assertThat(upload(other, "bob", body("other.txt", 1000)).statusCode()).isEqualTo(200);
            assertThat(finishUpload(s, slow)).endsWith("200");
        }
        // released on node 1 (asynchronously, on its renewal thread): node 2 takes alice's next upload
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> upload(other, "alice", body("after.txt", 1000)).statusCode() == 200);
    }
}

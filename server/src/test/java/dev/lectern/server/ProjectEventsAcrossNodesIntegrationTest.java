package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.testing.TestCluster;
import dev.lectern.testing.TestConfigs;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in cluster mode (Redis, one PostgreSQL): a client of one node's {@code /api/projects/{id}/events} sees the
 * changes made through the other node, and the job the other node runs.
 */
class ProjectEventsAcrossNodesIntegrationTest {
    private final List<LecternServer> nodes = new ArrayList<>();
    private final HttpClient client = HttpClient.newHttpClient();
    // the nodes share their lesson media through its bucket: a scene rendered on one is assembled anywhere
    private TestCluster cluster;
    @TempDir
    Path dir;

    @BeforeEach
    void stores() throws Exception {
        cluster = TestCluster.start("lessons");
    }

    @AfterEach
    void stop() {
        nodes.forEach(LecternServer::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    private LecternServer node(String id) {
        Map<String, String> env = cluster.env(id, dir.resolve(id));
        LecternServer node = LecternServer.start(TestConfigs.defaults(TestLessons.small(env)), cluster.secrets(),
                TestTokens.ALICE_AND_BOB);
        nodes.add(node);
        return node;
    }

    @Test
    void aSubscriberOnOneNodeSeesTheChangesMadeThroughTheOther() throws Exception {
        LecternServer a = node("a");
        LecternServer b = node("b");
        HttpJson viaB = new HttpJson(b.httpPort());
        String project = viaB.post("/api/projects", Map.of("title", "Calculus", "description", ""), "alice").text("id");

        HttpResponse<InputStream> resp = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + a.httpPort() + "/api/projects/" + project + "/events"))
                .header("Authorization", "Bearer alice").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(resp.statusCode()).isEqualTo(200);
        try (LiveEventsIntegrationTest.Events events = new LiveEventsIntegrationTest.Events(resp.body())) {
            assertThat(events.next().path("type").asText()).isEqualTo("subscribed");
            String session = viaB.post("/api/projects/" + project + "/sessions",
                    Map.of("prompt", "limits", "sceneCount", 2), "alice").text("id");
            JsonNode created = events.next();
            assertThat(created.path("type").asText()).isEqualTo("session.created");
            assertThat(created.path("data").path("id").asText()).isEqualTo(session);

            viaB.post("/jobs/generate", Map.of("projectId", project, "sessionId", session, "sceneCount", 2,
                    "prompt", "limits", "timestamp", System.currentTimeMillis() / 1000,
                    "scenes", TestLessons.scenes(2)), "alice");
            List<String> types = new ArrayList<>();
            JsonNode e;
            while ((e = events.next()) != null) {
                types.add(e.path("type").asText() + ":" + e.path("data").path("status").asText());
                if (e.path("type").asText().equals("session.updated")
                        && e.path("data").path("status").asText().equals("READY")) {
                    break;
                }
            }
            assertThat(types).contains("session.updated:QUEUED", "session.updated:GENERATING",
                    "session.updated:RENDERING", "scene.rendered:RENDERED", "session.updated:READY", "job:SUCCESS");
            assertThat(types.stream().filter(t -> t.startsWith("scene.created")).count()).isEqualTo(2);
            // the assembled lesson is in S3: its presigned link serves byte ranges
            JsonNode ready = viaB.get("/api/sessions/" + session, "alice").body();
            HttpResponse<byte[]> part = client.send(HttpRequest.newBuilder(URI.create(ready.path("video_url").asText()))
                    .header("Range", "bytes=0-15").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(part.statusCode()).isEqualTo(206);
            assertThat(new String(part.body(), 4, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ftyp");
        }
    }
}

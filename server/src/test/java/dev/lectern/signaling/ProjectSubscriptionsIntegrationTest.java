package dev.lectern.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.server.TestLessons;
import dev.lectern.server.TestTokens;
import dev.lectern.testing.TestConfigs;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A project's live changes over Socket.IO with the npm socket.io-client, on the production wiring: {@code subscribe
 * {project_id}} is acked and brings {@code project-event}s, another user's project is refused, {@code unsubscribe}
 * stops them.
 */
class ProjectSubscriptionsIntegrationTest {
    private static final TokenVerifier TOKENS = TestTokens.ALICE_AND_BOB;

    private LecternServer server;
    private HttpJson http;

    @BeforeAll
    static void node() {
        NodePeer.assumeAvailable();
    }

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(TestLessons.small(Map.of())), Map.of(), TOKENS);
        http = new HttpJson(server.httpPort());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void theOwnerSubscribesAndHearsChangesAnotherUserIsRefused() throws Exception {
        String project = http.post("/api/projects", Map.of("title", "Calculus", "description", "limits"), "alice")
                .text("id");
        String url = "http://127.0.0.1:" + server.signalingPort();
        try (NodePeer alice = new NodePeer(url, "{\"token\":\"alice\"}", "websocket");
                NodePeer bob = new NodePeer(url, "{\"token\":\"bob\"}", "websocket")) {
            alice.awaitKey("connect");
            bob.awaitKey("connect");

            bob.emit("subscribe", "{\"project_id\":\"" + project + "\"}", 1);
            JsonNode refused = bob.awaitAck(1);
            assertThat(refused.path("ok").asBoolean()).isFalse();
            assertThat(refused.path("code").asText()).isEqualTo("not_found");
            bob.emit("subscribe", "{\"project_id\":42}", 2);
            assertThat(bob.awaitAck(2).path("code").asText()).isEqualTo("bad_request");

            alice.emit("subscribe", "{\"project_id\":\"" + project + "\"}", 1);
            JsonNode ok = alice.awaitAck(1);
            assertThat(ok.path("ok").asBoolean()).isTrue();
            assertThat(ok.path("project_id").asText()).isEqualTo(project);

            String session = http.post("/api/projects/" + project + "/sessions",
                    Map.of("prompt", "derivatives", "sceneCount", 1), "alice").text("id");
            JsonNode event = alice.awaitEvent("project-event");
            assertThat(event.path("type").asText()).isEqualTo("session.created");
            assertThat(event.path("projectId").asText()).isEqualTo(project);
            assertThat(event.path("data").path("id").asText()).isEqualTo(session);

            alice.emit("unsubscribe", "{\"project_id\":\"" + project + "\"}", 2);
            assertThat(alice.awaitAck(2).path("ok").asBoolean()).isTrue();
            // after unsubscribing, a later change does not arrive; a fresh subscription's event proves the order
            http.send("PATCH", "/api/projects/" + project, Map.of("title", "Calculus I"), "alice");
            String other = http.post("/api/projects", Map.of("title", "Algebra", "description", ""), "alice")
                    .text("id");
            alice.emit("subscribe", "{\"project_id\":\"" + other + "\"}", 3);
            assertThat(alice.awaitAck(3).path("ok").asBoolean()).isTrue();
            http.send("PATCH", "/api/projects/" + other, Map.of("title", "Algebra I"), "alice");
            JsonNode next = alice.awaitEvent("project-event");
            assertThat(next.path("projectId").asText()).isEqualTo(other);
            assertThat(next.path("type").asText()).isEqualTo("project.updated");
        }
    }

    @Test
    void eachSceneIsPushedAsItIsRenderedThenTheLesson() throws Exception {
        String project = http.post("/api/projects", Map.of("title", "Calculus", "description", ""), "alice")
                .text("id");
        String url = "http://127.0.0.1:" + server.signalingPort();
        try (NodePeer alice = new NodePeer(url, "{\"token\":\"alice\"}", "websocket")) {
            alice.awaitKey("connect");
            alice.emit("subscribe", "{\"project_id\":\"" + project + "\"}", 1);
            assertThat(alice.awaitAck(1).path("ok").asBoolean()).isTrue();
            String session = http.post("/api/projects/" + project + "/sessions",
                    Map.of("prompt", "limits", "sceneCount", 2), "alice").text("id");
            http.post("/jobs/generate", Map.of("projectId", project, "sessionId", session, "sceneCount", 2,
                    "prompt", "limits", "scenes", TestLessons.scenes(2)), "alice");
            java.util.List<String> order = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                JsonNode e = alice.awaitEvent("project-event");
                String type = e.path("type").asText();
                if (type.equals("scene.rendered")) {
                    assertThat(e.path("data").path("video_url").asText()).startsWith("/api/objects/lessons/");
                    assertThat(e.path("data").path("poster_url").asText()).contains(".png?");
                    order.add(type);
                }
                if (type.equals("session.updated") && e.path("data").path("status").asText().equals("READY")) {
                    assertThat(e.path("data").path("video_url").asText()).startsWith("/api/objects/lessons/");
                    order.add("READY");
                    break;
                }
            }
            assertThat(order).containsExactly("scene.rendered", "scene.rendered", "READY");
        }
    }
}

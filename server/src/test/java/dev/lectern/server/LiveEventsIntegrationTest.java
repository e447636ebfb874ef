package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.json.Json;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import dev.lectern.testing.TestConfigs;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The live streams of jobs over real sockets, on the production wiring: {@code GET /api/jobs/{id}/events}. */
// a stream that never sends its final event fails the test instead of hanging the suite (seen once: see the note)
@Timeout(value = 120, unit = java.util.concurrent.TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LiveEventsIntegrationTest {
    private static final TokenVerifier TOKENS = TestTokens.ALICE_AND_BOB;

    private LecternServer server;
    private HttpJson http;
    private ContractValidator contract;
    private final HttpClient raw = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        server = LecternServer.start(TestConfigs.defaults(TestLessons.small(Map.of(
                "LECTERN_JOBS__HEARTBEAT_MILLIS", "200", "LECTERN_JOBS__LEASE_MILLIS", "2000"))), Map.of(), TOKENS);
        contract = ContractValidator.load(server.httpPort());
        http = new HttpJson(server.httpPort()).validating(contract);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<InputStream> open(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
                .header("Accept", "text/event-stream").GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return raw.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    private int status(String path, String token) throws Exception {
        HttpResponse<InputStream> r = open(path, token);
        r.body().close();
        return r.statusCode();
    }

    /** Reads an event stream the way EventSource does: data lines, a blank line ends an event. */
    static final class Events implements AutoCloseable {
        private final BufferedReader reader;

        Events(InputStream in) {
            reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        }

        /** The next event's data, or null at the end of the stream. */
        JsonNode next() throws Exception {
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty() && data.length() > 0) {
                    return Json.MAPPER.readTree(data.toString());
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
            return null;
        }

        /** Events up to and including the first whose status is final (or the end of the stream). */
        List<JsonNode> untilFinal() throws Exception {
            List<JsonNode> out = new ArrayList<>();
            JsonNode e;
            while ((e = next()) != null) {
                out.add(e);
                String s = e.path("status").asText();
                if (s.equals("SUCCESS") || s.equals("FAILURE") || s.equals("REVOKED")) {
                    break;
                }
            }
            return out;
        }

        @Override
        public void close() throws Exception {
            reader.close();
        }
    }

    private static List<String> statuses(List<JsonNode> events) {
        return events.stream().map(e -> e.path("status").asText()).toList();
    }

    @Test
    void aRunningJobsStreamShowsItStartedThenItsProgressThenSuccessAndEnds() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        server.jobEngine().register("test.gate", KindOptions.DEFAULTS.withMaxAttempts(1), ctx -> {
            started.countDown();
            release.await();
            ctx.progress(50, "half way", null);
            return Json.write("done");
        });
        String id = server.jobEngine().enqueue(NewJob.of("test.gate", "{}").owner("alice")).id();
        started.await();

        HttpResponse<InputStream> resp = open("/api/jobs/" + id + "/events", "alice");
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        try (Events events = new Events(resp.body())) {
            JsonNode first = events.next();
            assertThat(first.path("id").asText()).isEqualTo(id);
            assertThat(first.path("status").asText()).isEqualTo("STARTED");
            release.countDown();
            List<JsonNode> rest = events.untilFinal();
            assertThat(statuses(rest).get(rest.size() - 1)).isEqualTo("SUCCESS");
            assertThat(rest.get(rest.size() - 1).path("result").asText()).isEqualTo("done");
            assertThat(rest.get(rest.size() - 1).path("progress").asDouble()).isEqualTo(100.0);
            assertThat(statuses(rest)).allMatch(s -> s.equals("STARTED") || s.equals("SUCCESS"));
        }
    }

    @Test
    void aHelloJobsStreamEndsWithItsSuccessAndIsOnlyItsOwners() throws Exception {
        HttpJson.Reply queued = http.post("/test/hello?name=Ada", null, "alice");
        String id = queued.text("task_id");

        HttpResponse<InputStream> resp = open("/api/jobs/" + id + "/events", "alice");
        assertThat(resp.statusCode()).isEqualTo(200);
        try (Events events = new Events(resp.body())) {
            List<JsonNode> seen = events.untilFinal();
            seen.forEach(e -> contract.checkEvent("GET", "/api/jobs/" + id + "/events", e));
            assertThat(statuses(seen)).last().isEqualTo("SUCCESS");
            assertThat(statuses(seen)).isSubsetOf("PENDING", "STARTED", "SUCCESS");
            assertThat(seen.get(seen.size() - 1).path("result").asText()).isEqualTo("Hello Ada!");
        }
        // a finished job's stream is its final row, then the end
        try (Events again = new Events(open("/api/jobs/" + id + "/events", "alice").body())) {
            assertThat(again.next().path("status").asText()).isEqualTo("SUCCESS");
            assertThat(again.next()).isNull();
        }
        assertThat(status("/api/jobs/" + id + "/events", "bob")).isEqualTo(404);
        assertThat(status("/api/jobs/" + id + "/events", null)).isEqualTo(401);
        assertThat(status("/api/jobs/" + java.util.UUID.randomUUID() + "/events", "alice")).isEqualTo(404);
    }

    @Test
    void aProjectsStreamSeesASessionCreatedThenItsGenerationAndScenesInOrder() throws Exception {
        String project = http.post("/api/projects", Map.of("title", "Calculus", "description", "limits"), "alice")
                .text("id");
        assertThat(status("/api/projects/" + project + "/events", "bob")).isEqualTo(404);
        assertThat(status("/api/projects/" + project + "/events", null)).isEqualTo(401);

        HttpResponse<InputStream> resp = open("/api/projects/" + project + "/events", "alice");
        assertThat(resp.statusCode()).isEqualTo(200);
        try (Events events = new Events(resp.body())) {
            assertThat(events.next().path("type").asText()).isEqualTo("subscribed");
            String session = http.post("/api/projects/" + project + "/sessions",
                    Map.of("prompt", "derivatives", "sceneCount", 2), "alice").text("id");
            JsonNode created = events.next();
            assertThat(created.path("type").asText()).isEqualTo("session.created");
            assertThat(created.path("projectId").asText()).isEqualTo(project);
            assertThat(created.path("data").path("id").asText()).isEqualTo(session);

            String jobId = http.post("/jobs/generate", Map.of("projectId", project, "sessionId", session,
                    "sceneCount", 2, "prompt", "derivatives", "timestamp", System.currentTimeMillis() / 1000,
                    "scenes", TestLessons.scenes(2)), "alice").text("jobId");
            // until the lesson is READY and the generation job's outcome is in: the job enqueues the scenes' render
            // jobs before it ends, so on a busy machine its SUCCESS can come after the lesson is assembled
            List<JsonNode> seen = new ArrayList<>();
            boolean ready = false;
            boolean generated = false;
            JsonNode e;
            while ((!ready || !generated) && (e = events.next()) != null) {
                seen.add(e);
                ready |= e.path("type").asText().equals("session.updated")
                        && e.path("data").path("status").asText().equals("READY");
                generated |= e.path("type").asText().equals("job") && e.path("data").path("id").asText().equals(jobId)
                        && e.path("data").path("status").asText().equals("SUCCESS");
            }
            assertThat(ready).isTrue();
            assertThat(generated).isTrue();
            seen.forEach(x -> contract.checkEvent("GET", "/api/projects/" + project + "/events", x));
            List<String> sessionStates = seen.stream().filter(x -> x.path("type").asText().equals("session.updated"))
                    .map(x -> x.path("data").path("status").asText()).toList();
            assertThat(sessionStates).containsExactly("QUEUED", "GENERATING", "RENDERING", "ASSEMBLING", "READY");
            // the live preview: each scene's video as soon as it is stored, before the lesson is assembled
            List<JsonNode> previews = seen.stream().filter(x -> x.path("type").asText().equals("scene.rendered"))
                    .toList();
            assertThat(previews).hasSize(2);
            assertThat(previews).allMatch(x -> x.path("data").path("video_url").asText().startsWith("/api/objects/"));
            JsonNode readyEvent = seen.get(indexOf(seen, "session.updated", "READY"));
            assertThat(seen.indexOf(previews.get(1))).isLessThan(seen.indexOf(readyEvent));
            assertThat(readyEvent.path("data").path("video_url").asText()).isNotEmpty();
            List<JsonNode> scenes = seen.stream().filter(x -> x.path("type").asText().equals("scene.created"))
                    .toList();
            assertThat(scenes).hasSize(2);
            assertThat(scenes.get(0).path("data").path("position").asInt()).isZero();
            assertThat(scenes.get(1).path("data").path("position").asInt()).isEqualTo(1);
            assertThat(scenes).allMatch(x -> x.path("data").path("sessionId").asText().equals(session));
            List<JsonNode> jobs = seen.stream().filter(x -> x.path("type").asText().equals("job")
                    && x.path("data").path("kind").asText().equals("video.generate")).toList();
            assertThat(jobs).allMatch(x -> x.path("data").path("id").asText().equals(jobId));
            // the outcome carries the planned scenes (the outcome, not the last job event: a job's changes are heard
            // from the worker and from the outcome's writer, and a progress can reach the stream after the outcome;
            // the console keeps a final state over a later non-final one)
            List<String> jobStates = jobs.stream().map(x -> x.path("data").path("status").asText()).toList();
            JsonNode outcome = jobs.stream().filter(x -> x.path("data").path("status").asText().equals("SUCCESS"))
                    .findFirst().orElseThrow(() -> new AssertionError("no SUCCESS among " + jobStates));
            assertThat(outcome.path("data").path("result").path("scenes")).as("job states %s", jobStates).hasSize(2);
            // the scenes come between the session's GENERATING and RENDERING (planned, their render jobs queued)
            int generating = indexOf(seen, "session.updated", "GENERATING");
            int planned = indexOf(seen, "session.updated", "RENDERING");
            assertThat(seen.indexOf(scenes.get(0))).isBetween(generating, planned);
            assertThat(seen.indexOf(scenes.get(1))).isBetween(generating, planned);
        }
    }

    private static int indexOf(List<JsonNode> events, String type, String status) {
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = events.get(i);
            if (e.path("type").asText().equals(type) && e.path("data").path("status").asText().equals(status)) {
                return i;
            }
        }
        return -1;
    }
}

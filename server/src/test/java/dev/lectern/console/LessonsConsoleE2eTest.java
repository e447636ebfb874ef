package dev.lectern.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The console's Projects view and lesson page in a real headless Chromium (tests/js/e2e/lessons.mjs): a project made
 * through the page (its title full of markup, shown as text), a lesson generated from the page with the bars fed by
 * the project's event stream up to the end, the lesson page with its scenes, the finished video loaded and played
 * with its captions track when the server made one, an edit of scene 2 from the page, and the lesson's address
 * reloaded. A second run, on a node that runs no jobs and has no model, waits, cancels and retries a generation and
 * sends scenes written by hand.
 */
class LessonsConsoleE2eTest {
    private static final String PASSWORD = "Correct-horse-42";
    private static final String EMAIL = "lin@example.com";
    /** Markup a careless page would turn into elements. */
    private static final String PROJECT = "<b>Calculus</b> & \"limits\" <img src=x onerror=alert(1)>";
    private static final String PROMPT = "Create a video about calculus";
    private static final int SCENES = 3;
    private static final Path SHOTS = TestConfigs.home().resolve("server/target/screenshots");

    private FakeModelServer upstream;
    private LecternServer server;
    private HttpJson http;

    @BeforeEach
    void checkBrowser() {
        BrowserScript.assumeBrowser();
    }

    private void start(Map<String, String> overrides, AiConfig ai) throws Exception {
        Map<String, String> o = new HashMap<>(Map.of("LECTERN_ACCOUNTS__BCRYPT_COST", "4"));
        o.putAll(overrides);
        ServerConfig config = TestConfigs.defaults(o);
        server = LecternServer.start(ai == null ? config : config.withAi(ai), Map.of("FAKE_API_KEY", "sk-test"));
        http = new HttpJson(server.httpPort(), Duration.ofSeconds(60));
        BrowserScript.registerUser(server, http, EMAIL, PASSWORD);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private Map<String, String> env(String mode) {
        return new HashMap<>(Map.of(
                "E2E_MODE", mode,
                "LECTERN_URL", "http://127.0.0.1:" + server.httpPort(),
                "E2E_SHOTS", SHOTS.toString(),
                "E2E_EMAIL", EMAIL,
                "E2E_PASSWORD", PASSWORD,
                "E2E_PROJECT", PROJECT,
                "E2E_PROMPT", PROMPT,
                "E2E_SCENES", String.valueOf(SCENES)));
    }

    private String token() throws Exception {
        return http.post("/api/login", Map.of("email", EMAIL, "password", PASSWORD), null).text("token");
    }

    /** The model's lesson plan, as the planner asks for it (title, scenes of title, narration, bullets). */
    private static String plan() {
        ObjectNode root = Json.MAPPER.createObjectNode().put("title", "Calculus");
        ArrayNode list = root.putArray("scenes");
        for (int i = 0; i < SCENES; i++) {
            ObjectNode s = list.addObject().put("title", "Idea " + (i + 1))
                    .put("narration", "This is idea " + (i + 1) + " of calculus. It is explained slowly.");
            s.putArray("bullets").add("First point").add("Second point");
        }
        return Json.write(root);
    }

    /** The model's rewrite of scene 2 for the edit: a one-scene plan. */
    private static final String REWRITTEN = "Idea two, slowly: a derivative is a slope, for example of a hill.";

    private static String rewrite() {
        ObjectNode root = Json.MAPPER.createObjectNode().put("title", "Calculus");
        ObjectNode s = root.putArray("scenes").addObject().put("title", "Idea 2, slower").put("narration", REWRITTEN);
        s.putArray("bullets").add("A slope").add("A hill");
        return Json.write(root);
    }

    /** A media field under its documented name or its camelCase twin; "" when absent. */
    private static String media(JsonNode n, String snake, String camel) {
        String v = n.path(snake).asText("");
        return v.isEmpty() ? n.path(camel).asText("") : v;
    }

    @Test
    void aLessonIsGeneratedWatchedLiveOpenedPlayedAndOneSceneEdited() throws Exception {
        upstream = new FakeModelServer();
        upstream.enqueue(FakeModelServer.answer(plan()));
        upstream.enqueue(FakeModelServer.answer(rewrite())); // where the server asks the model to rewrite a scene
        // two workers for three scenes: the third renders after one of the first two is done, so there is a stretch
        // with a scene finished while the lesson still renders for the page to see (the failures once put down to
        // batched outcomes were a stale QUEUED status event, fixed in LessonService.generate)
        start(Map.of("LECTERN_JOBS__WORKERS", "2"),
                TestAi.withTts(TestAi.config(upstream.baseUrl()), TestConfigs.defaults().ai().tts()));
        Map<String, String> env = env("generate");
        env.put("E2E_DONE_STATUSES", "PLANNED,READY,FAILED");
        env.put("E2E_EDIT_PROMPT", "Slower, please, with an example");

        JsonNode result = BrowserScript.run("lessons.mjs", env, email -> {
            throw new AssertionError("no sign-up in this run");
        });
        System.out.println("lessons console e2e: " + result);
        String token = token();

        // The project: made through the form, listed, shown, its markup kept as text.
        assertThat(result.get("projectHeading").asText()).isEqualTo(PROJECT);
        assertThat(Json.MAPPER.convertValue(result.get("projectListed"), List.class)).containsExactly(PROJECT);
        assertThat(result.get("markupElements").asInt()).isZero();
        JsonNode projects = http.get("/api/projects", token).body().get("projects");
        assertThat(projects).hasSize(1);
        assertThat(projects.get(0).get("title").asText()).isEqualTo(PROJECT);
        assertThat(projects.get(0).get("description").asText()).isEqualTo("Made by the browser test");
        assertThat(result.get("projectHash").asText()).isEqualTo("#project=" + projects.get(0).get("id").asText());

        // The generation ran to its end, and the page followed it there from the event stream.
        String sessionId = result.get("sessionId").asText();
        JsonNode session = http.get("/api/sessions/" + sessionId, token).body();
        assertThat(session.get("prompt").asText()).isEqualTo(PROMPT);
        assertThat(result.get("sessionStatus").asText()).isEqualTo(session.get("status").asText());
        assertThat(result.get("sessionJob").asText()).as(result.get("sessionError").asText()).isEqualTo("SUCCESS");
        JsonNode job = http.get("/api/jobs/" + session.get("jobId").asText(), token).body();
        assertThat(job.get("status").asText()).isEqualTo("SUCCESS");
        assertThat(result.get("sessionBar").asText()).isEqualTo("100");
        assertThat(result.get("sessionPct").asText()).isEqualTo("100%");
        assertThat(result.get("sessionJobLine").asText()).as("the job's part is over: the lesson's stage is said")
                .doesNotContain("Job").contains(SCENES + " scenes");
        assertThat(result.get("sessionError").asText()).isEmpty();
        assertThat(result.get("cancelVisible").asBoolean()).as("nothing left to cancel").isFalse();
        assertThat(result.get("sessionSceneBars").asInt()).isEqualTo(SCENES);
        // Every state the bar went through, as the page saw it: from the new session's 0 % to 100 %, never back.
        List<Double> values = new ArrayList<>();
        List<String> jobStates = new ArrayList<>();
        for (JsonNode seen : result.get("progressSeen")) {
            if (!seen.get("value").asText().isEmpty()) {
                values.add(seen.get("value").asDouble());
            }
            jobStates.add(seen.get("job").asText());
        }
        assertThat(values).first().isEqualTo(0.0);
        assertThat(values).last().isEqualTo(100.0);
        assertThat(values).isSorted();
        assertThat(jobStates).as("the job's states arrived live").contains("SUCCESS").last().isEqualTo("SUCCESS");

        // The lesson page: the session's scenes in order with their narration and state.
        assertThat(result.get("lessonHash").asText()).isEqualTo("#lesson=" + sessionId);
        assertThat(result.get("lessonHeading").asText()).isEqualTo(PROMPT);
        // (read after the run: scene 2 is the edited one, so it is compared apart)
        JsonNode scenes = session.get("scenes");
        assertThat(scenes).hasSize(SCENES);
        for (int i = 0; i < SCENES; i++) {
            JsonNode s = scenes.get(i);
            String title = result.get("sceneTitles").get(i).asText();
            if (i == 1) {
                assertThat(title).startsWith("2. ");
                continue;
            }
            assertThat(title).isEqualTo((s.get("position").asInt() + 1) + ". " + s.get("title").asText());
            String narration = s.get("narration").asText();
            assertThat(result.get("sceneNarrations").get(i).asText())
                    .isEqualTo(narration.isEmpty() ? "No narration yet." : narration);
            assertThat(result.get("sceneStatuses").get(i).asText()).isEqualTo(s.get("status").asText());
        }

        // The finished video, when this server renders one: it loads, plays and carries its captions.
        String video = media(session, "video_url", "videoUrl");
        String captions = media(session, "captions_url", "captionsUrl");
        assertThat(video).as("the server renders lessons (ffmpeg and espeak-ng are test dependencies)").isNotEmpty();
        assertThat(result.get("videoVisible").asBoolean()).isTrue();
        assertThat(result.get("videoSrc").asText()).isEqualTo(URI.create(video).getPath());
        assertThat(result.get("duration").asDouble()).isGreaterThan(1.0);
        assertThat(result.get("currentTime").asDouble()).isGreaterThan(0.5);
        assertThat(result.get("videoError").asBoolean()).isFalse();
        if (!media(session, "poster_url", "posterUrl").isEmpty()) {
            assertThat(result.get("poster").asText()).isNotEmpty();
        }
        assertThat(captions).as("a rendered lesson has captions").isNotEmpty();
        assertThat(result.get("track").get("kind").asText()).isEqualTo("captions");
        assertThat(result.get("track").get("src").asText()).isEqualTo(URI.create(captions).getPath());
        assertThat(result.get("trackReadyState").asInt()).as("2 = loaded").isEqualTo(2);
        assertThat(result.get("cues")).isNotEmpty();
        List<Boolean> previews = new ArrayList<>();
        scenes.forEach(s -> previews.add(!media(s, "video_url", "videoUrl").isEmpty()));
        assertThat(Json.MAPPER.convertValue(result.get("scenePreviews"), List.class)).isEqualTo(previews);

        // Scene 2 edited from the page: the editor showed its words, the edit job ran and the scene moved to its
        // next version; reloaded at the lesson's address, the page shows it so, the other scenes untouched.
        String title2 = result.get("sceneTitles").get(1).asText().substring("2. ".length());
        String narration2 = result.get("sceneNarrations").get(1).asText();
        assertThat(result.get("editorPrefill").get("title").asText()).isEqualTo(title2);
        assertThat(result.get("editorPrefill").get("narration").asText())
                .isEqualTo(narration2.equals("No narration yet.") ? "" : narration2);
        int before = result.get("versionBefore").asInt();
        assertThat(result.get("editJob").asText()).as(result.get("editStatus").asText()).isEqualTo("SUCCESS");
        assertThat(result.get("editStatus").asText()).isEqualTo("Edit done.");
        assertThat(result.get("versionAfter").asInt()).isEqualTo(before + 1);
        assertThat(result.get("reloadedHeading").asText()).isEqualTo(PROMPT);
        assertThat(Json.MAPPER.convertValue(result.get("reloadedVersions"), List.class))
                .containsExactly(before, before + 1, before);
        assertThat(result.get("reloadedNarrations").get(1).asText()).isEqualTo(result.get("editedNarration").asText());
        JsonNode now = http.get("/api/sessions/" + sessionId, token).body();
        List<Integer> versions = new ArrayList<>();
        List<String> narrationsNow = new ArrayList<>();
        now.get("scenes").forEach(s -> {
            versions.add(s.get("version").asInt());
            narrationsNow.add(s.get("narration").asText().isEmpty() ? "No narration yet." : s.get("narration").asText());
        });
        // the model's rewrite was rendered alone (a new preview file) and the lesson assembled again as version 2
        assertThat(result.get("editedNarration").asText()).isEqualTo(REWRITTEN);
        assertThat(result.get("editorPrefill").get("bullets").asText()).isEqualTo("First point\nSecond point");
        assertThat(result.get("previewAfter").asText()).isNotEqualTo(result.get("previewBefore").asText());
        assertThat(result.get("versionItems")).hasSize(2);
        assertThat(result.get("versionItems").get(0).get("version").asInt()).isEqualTo(2);
        assertThat(result.get("versionItems").get(0).get("current").asBoolean()).isTrue();
        assertThat(result.get("versionItems").get(1).get("current").asBoolean()).isFalse();
        // the scenes bar showed scenes done while others still rendered: per-scene progress arrived live
        boolean partial = false;
        for (JsonNode seen : result.get("progressSeen")) {
            partial |= seen.get("status").asText().equals("RENDERING") && seen.get("scenesDone").asInt() > 0;
        }
        assertThat(partial).as("a scene rendered before the lesson was assembled").isTrue();
        // Restore version 1 from the page: the first video and scene 2's first words, on the server too.
        assertThat(result.get("restoredStatus").asText()).isEqualTo("Version 1 is the current one again.");
        assertThat(result.get("restoredVideoSrc").asText()).isEqualTo(result.get("videoSrc").asText());
        assertThat(versions).containsExactly(before, before, before);
        assertThat(Json.MAPPER.convertValue(result.get("restoredNarrations"), List.class)).isEqualTo(narrationsNow)
                .isEqualTo(Json.MAPPER.convertValue(result.get("sceneNarrations"), List.class));
        assertThat(now.get("version").asInt()).isEqualTo(1);
        assertThat(result.get("backHeading").asText()).isEqualTo(PROJECT);

        assertThat(result.get("errors")).as("page errors").isEmpty();
        assertThat(result.get("failedResponses")).as("refused requests").isEmpty();
        for (String shot : List.of("projects.png", "lesson.png")) {
            assertThat(SHOTS.resolve(shot)).isNotEmptyFile();
        }
    }

    @Test
    void aWaitingGenerationIsCancelledAndRetriedFromThePage() throws Exception {
        start(Map.of("LECTERN_JOBS__WORKERS", "0"), null); // this node queues jobs but runs none: they wait
        Map<String, String> env = env("cancel");
        env.put("E2E_OWN_SCENES", "Limits\nA limit is the value a function approaches.\n- approaching a value\n"
                + "- from both sides\n\n  Derivatives\r\nA derivative is a slope.\nIt measures change.\n• rate of change\n");
        JsonNode result = BrowserScript.run("lessons.mjs", env, email -> {
            throw new AssertionError("no sign-up in this run");
        });
        System.out.println("lessons console e2e (cancel): " + result);

        assertThat(result.get("waitingLine").asText()).startsWith("Job waiting for a worker");
        assertThat(result.get("retryVisibleWhileWaiting").asBoolean()).isFalse();
        assertThat(result.get("cancelledLine").asText()).startsWith("Job cancelled");
        assertThat(result.get("cancelledBadge").asText()).isEqualTo("failed");
        assertThat(result.get("cancelVisibleAfter").asBoolean()).isFalse();
        assertThat(result.get("retriedLine").asText()).startsWith("Job waiting for a worker");
        String token = token();
        JsonNode session = http.get("/api/sessions/" + result.get("sessionId").asText(), token).body();
        JsonNode job = http.get("/api/jobs/" + session.get("jobId").asText(), token).body();
        assertThat(job.get("status").asText()).as("queued again by Retry").isEqualTo("PENDING");

        // Without a model the page offers the scenes written by hand, refuses a scene without narration itself, and
        // sends what was written as the scenes of /jobs/generate.
        assertThat(result.get("offlineNotice").asBoolean()).isTrue();
        assertThat(result.get("ownScenesOpen").asBoolean()).isTrue();
        assertThat(result.get("ownRefused").asText()).isEqualTo(
                "Scene 1 (“Limits”) has no narration: write it under the title.");
        JsonNode sent = result.get("ownGenerate");
        assertThat(sent.get("sceneCount").asInt()).isEqualTo(2);
        assertThat(sent.get("prompt").asText()).isEqualTo("Limits, written by hand");
        assertThat(sent.get("sessionId").asText()).isEqualTo(result.get("ownSessionId").asText());
        assertThat(sent.get("scenes")).isEqualTo(Json.MAPPER.readTree("""
                [{"title":"Limits","narration":"A limit is the value a function approaches.",
                  "bullets":["approaching a value","from both sides"]},
                 {"title":"Derivatives","narration":"A derivative is a slope. It measures change.",
                  "bullets":["rate of change"]}]"""));
        assertThat(http.get("/api/sessions/" + sent.get("sessionId").asText(), token).body().get("sceneCount").asInt())
                .isEqualTo(2);
        assertThat(result.get("errors")).as("page errors").isEmpty();
        assertThat(result.get("failedResponses")).as("refused requests").isEmpty();
    }
}

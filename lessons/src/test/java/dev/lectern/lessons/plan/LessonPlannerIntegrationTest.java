package dev.lectern.lessons.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.ai.llm.ModelProvider;
import dev.lectern.ai.llm.internal.OpenAiCompatibleProvider;
import dev.lectern.ai.llm.internal.StreamingHttpClient;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.lessons.plan.Cancellation;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The planner against an OpenAI-compatible model served over a real socket, answering scripted plans. */
class LessonPlannerIntegrationTest {
    private FakeModelServer upstream;
    private StreamingHttpClient http;
    private ScheduledExecutorService timers;
    private LessonPlanner planner;

    @BeforeEach
    void setUp() throws Exception {
        upstream = new FakeModelServer();
        timers = Executors.newSingleThreadScheduledExecutor();
        http = new StreamingHttpClient(5000, 1);
        AiConfig config = TestAi.config(upstream.baseUrl());
        ModelProvider provider = new OpenAiCompatibleProvider(config.providers().get(0),
                Optional.of(new Secret("FAKE_API_KEY", "sk-test")), config, http, timers);
        ModelCatalog models = new ModelCatalog(Map.of("fake-model", provider), "fake-model",
                new InMemoryEphemeralStore());
        planner = new LessonPlanner(models, new PlanValidator(20), 30_000);
    }

    @AfterEach
    void tearDown() {
        http.close();
        timers.shutdownNow();
        upstream.close();
    }

    static ObjectNode validPlan(int scenes) {
        ObjectNode root = Json.MAPPER.createObjectNode().put("title", "Calculus");
        ArrayNode list = root.putArray("scenes");
        for (int i = 0; i < scenes; i++) {
            ObjectNode s = list.addObject().put("title", "Scene " + (i + 1))
                    .put("narration", "This is scene " + (i + 1) + ". It explains one idea.");
            s.putArray("bullets").add("First point").add("Second point");
        }
        return root;
    }

    /** A plan streamed in small pieces, as a model streams it. */
    private static FakeModelServer.Script streamed(String text) {
        int n = Math.max(1, text.length() / 7);
        String[] pieces = new String[(text.length() + n - 1) / n];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = text.substring(i * n, Math.min(text.length(), (i + 1) * n));
        }
        return FakeModelServer.answer(pieces);
    }

    private static LessonPlanner.Request request(int scenes) {
        return new LessonPlanner.Request("Create a video about calculus", scenes, List.of(), "");
    }

    @Test
    void aValidPlanIsReturnedAfterOneRequestThatCarriesTheSchema() {
        upstream.enqueue(streamed("```json\n" + Json.write(validPlan(3)) + "\n```"));
        LessonPlan plan = planner.plan(request(3), Cancellation.none());
        assertThat(plan.title()).isEqualTo("Calculus");
        assertThat(plan.scenes()).hasSize(3);
        assertThat(plan.scenes().get(2).narration()).isEqualTo("This is scene 3. It explains one idea.");
        assertThat(plan.scenes().get(0).bullets()).containsExactly("First point", "Second point");
        assertThat(upstream.requests()).hasSize(1);
        JsonNode sent = upstream.requests().get(0);
        assertThat(sent.path("model").asText()).isEqualTo("fake-model");
        String system = sent.path("messages").get(0).path("content").asText();
        assertThat(system).contains("\"minItems\":3").contains("\"maxItems\":3").contains("\"narration\"");
        assertThat(sent.path("messages").get(1).path("content").asText()).contains("Create a video about calculus")
                .contains("exactly 3");
    }

    @Test
    void anInvalidPlanIsRetriedOnceWithItsErrorsInThePrompt() {
        ObjectNode bad = validPlan(3);
        ((ObjectNode) bad.path("scenes").get(1)).put("narration", "");
        ((ObjectNode) bad.path("scenes").get(2)).put("speaker", "Bob");
        upstream.enqueue(streamed(Json.write(bad)));
        upstream.enqueue(streamed(Json.write(validPlan(3))));
        LessonPlan plan = planner.plan(request(3), Cancellation.none());
        assertThat(plan.scenes()).hasSize(3);
        assertThat(upstream.requests()).hasSize(2);
        JsonNode retry = upstream.requests().get(1).path("messages");
        assertThat(retry).hasSize(4);
        assertThat(retry.get(2).path("role").asText()).isEqualTo("assistant");
        assertThat(retry.get(2).path("content").asText()).isEqualTo(Json.write(bad));
        String feedback = retry.get(3).path("content").asText();
        assertThat(feedback).contains("$.scenes[1].narration: must be a string of 1-2000 characters (got 0)")
                .contains("$.scenes[2]: has an unknown field \"speaker\"");
    }

    @Test
    void aPlanInvalidTwiceFailsWithTheErrors() {
        upstream.enqueue(streamed("Sure! Here is your lesson about calculus."));
        upstream.enqueue(streamed(Json.write(validPlan(2))));
        assertThatThrownBy(() -> planner.plan(request(3), Cancellation.none()))
                .isInstanceOfSatisfying(PlanException.class, e -> {
                    assertThat(e.code()).isEqualTo("plan_invalid");
                    assertThat(e.details()).containsExactly("$.scenes: must have exactly 3 scenes (got 2)");
                });
        assertThat(upstream.requests()).hasSize(2);
        assertThat(upstream.requests().get(1).path("messages").get(3).path("content").asText())
                .contains("$: the answer holds no JSON object");
    }

    @Test
    void aCutOffAnswerIsReportedAsSuch() {
        upstream.enqueue(ex -> {
            ex.text(Json.write(validPlan(3)).substring(0, 40));
            ex.finish("length").done();
        });
        upstream.enqueue(streamed(Json.write(validPlan(3))));
        assertThat(planner.plan(request(3), Cancellation.none()).scenes()).hasSize(3);
        assertThat(upstream.requests().get(1).path("messages").get(3).path("content").asText())
                .contains("cut off at the token limit");
    }

    @Test
    void aModelErrorFailsAtOnceWithItsCode() {
        upstream.enqueue(ex -> ex.error(401, "{\"error\":{\"message\":\"bad key\",\"code\":\"invalid_api_key\"}}"));
        assertThatThrownBy(() -> planner.plan(request(3), Cancellation.none()))
                .isInstanceOfSatisfying(PlanException.class, e -> assertThat(e.code()).isEqualTo("model_error"));
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void withoutAModelPlanningFailsAndNothingIsMadeUp() {
        LessonPlanner offline = new LessonPlanner(new ModelCatalog(Map.of(), "", new InMemoryEphemeralStore()),
                new PlanValidator(20), 30_000);
        assertThatThrownBy(() -> offline.plan(request(3), Cancellation.none()))
                .isInstanceOfSatisfying(PlanException.class,
                        e -> assertThat(e.code()).isEqualTo("model_not_configured"));
        assertThat(upstream.requests()).isEmpty();
        // the caller's own scenes need no model
        JsonNode scenes = Json.MAPPER.valueToTree(List.of(Map.of("title", "Limits",
                "narration", "A limit is where a function heads.", "bullets", List.of("Approaching a value"))));
        LessonPlan plan = offline.fromScenes("My lesson", scenes, List.of());
        assertThat(plan.scenes()).singleElement().satisfies(s -> {
            assertThat(s.title()).isEqualTo("Limits");
            assertThat(s.bullets()).containsExactly("Approaching a value");
        });
        assertThatThrownBy(() -> offline.fromScenes("My lesson", Json.MAPPER.valueToTree(List.of(Map.of("title", "x"))),
                List.of())).isInstanceOfSatisfying(PlanException.class, e -> {
                    assertThat(e.code()).isEqualTo("invalid_scenes");
                    assertThat(e.details()).contains("$.scenes[0].narration: must be a string of 1-2000 characters");
                });
    }

    @Test
    void groundedPlansCiteTheNumberedSources() {
        List<Passage> sources = List.of(new Passage("f1", "notes.pdf", 3, "The derivative is a rate.", 1f),
                new Passage("f2", "book.docx", 0, "Integrals accumulate.", 1f));
        ObjectNode plan = validPlan(2);
        ((ObjectNode) plan.path("scenes").get(0)).putArray("sources").add(1);
        ((ObjectNode) plan.path("scenes").get(1)).putArray("sources").add(2).add(2);
        upstream.enqueue(streamed(Json.write(plan)));
        LessonPlan p = planner.plan(new LessonPlanner.Request("Calculus from my notes", 2, sources, ""),
                Cancellation.none());
        assertThat(p.scenes().get(0).citations()).containsExactly(new PlannedScene.Citation("f1", "notes.pdf", 3));
        assertThat(p.scenes().get(1).citations()).extracting(PlannedScene.Citation::label).containsExactly("book.docx");
        String user = upstream.requests().get(0).path("messages").get(1).path("content").asText();
        assertThat(user).contains("[1] notes.pdf, page 3: \"The derivative is a rate.\"").contains("[2] book.docx: ");
    }

    @Test
    void requestsAreCheckedBeforeAnyModelCall() {
        assertThatThrownBy(() -> planner.plan(new LessonPlanner.Request(" ", 3, List.of(), ""), Cancellation.none()))
                .isInstanceOfSatisfying(PlanException.class, e -> assertThat(e.code()).isEqualTo("invalid_request"));
        assertThatThrownBy(() -> planner.plan(request(21), Cancellation.none()))
                .isInstanceOfSatisfying(PlanException.class, e -> assertThat(e.code()).isEqualTo("invalid_request"));
        assertThatThrownBy(() -> planner.plan(new LessonPlanner.Request("x", 3, List.of(), "no-such-model"),
                Cancellation.none()))
                .isInstanceOfSatisfying(PlanException.class, e -> assertThat(e.code()).isEqualTo("invalid_request"));
        assertThat(upstream.requests()).isEmpty();
    }
}

package dev.lectern.courses.exams;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.ai.llm.ModelProvider;
import dev.lectern.ai.llm.internal.OpenAiCompatibleProvider;
import dev.lectern.ai.llm.internal.StreamingHttpClient;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.JobState;
import dev.lectern.testing.MutableClock;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The exams feature on a real database and job engine, the courses port on its interim tables, a model served by a
 * {@link FakeModelServer} over a real socket, and a server clock the test moves. Course "chem101": teacher lena,
 * students sam and tia; three passages from two lectures.
 */
final class ExamsFixture implements AutoCloseable {
    static final Principal LENA = new Principal("lena", Role.TUTOR, "t1");
    static final Principal SAM = new Principal("sam", Role.STUDENT, "t2");
    static final Principal TIA = new Principal("tia", Role.STUDENT, "t3");
    static final Principal MALLORY = new Principal("mallory", Role.TUTOR, "t4");
    static final String COURSE = "chem101";
    static final String P1 = "Plants take up carbon dioxide (CO₂) from the air and release oxygen during photosynthesis.";
    static final String P2 = "Carbon dioxide absorbs infrared radiation and re-emits it, which warms the lower atmosphere.";
    static final String P3 = "The integral ∫₀¹ 2x dx equals 1, the area under the line y = 2x between 0 and 1.";

    final SqlDatabase db;
    final JobEngine engine;
    final FakeModelServer upstream;
    final MutableClock clock = new MutableClock(1_800_000_000_000L);
    final Exams exams;
    final SqlExamCourses courses;
    private final StreamingHttpClient http;
    private final ScheduledExecutorService timers;
    private final ModelCatalog models;

    ExamsFixture(SqlDatabase db) throws Exception {
        this.db = db;
        upstream = new FakeModelServer();
        timers = Executors.newSingleThreadScheduledExecutor();
        http = new StreamingHttpClient(5000, 2);
        AiConfig config = TestAi.config(upstream.baseUrl());
        ModelProvider provider = new OpenAiCompatibleProvider(config.providers().get(0),
                Optional.of(new Secret("FAKE_API_KEY", "sk-test")), config, http, timers);
        models = new ModelCatalog(Map.of("fake-model", provider), "fake-model", new InMemoryEphemeralStore());
        engine = new JobEngine(db, TestConfigs.defaults(Map.of("LECTERN_JOBS__HEARTBEAT_MILLIS", "100",
                "LECTERN_JOBS__LEASE_MILLIS", "5000")).jobs(), null, new SimpleMeterRegistry(), "exams");
        courses = new SqlExamCourses(db);
        exams = new Exams(db, courses, clock, engine, models, 20_000, "");
        engine.start();
        courses.addMember(COURSE, "lena", SqlExamCourses.TEACHER);
        courses.addMember(COURSE, "sam", SqlExamCourses.STUDENT);
        courses.addMember(COURSE, "tia", SqlExamCourses.STUDENT);
        courses.addPassage(COURSE, new ExamCourses.Passage("p1", "lecture-1", "Photosynthesis", P1));
        courses.addPassage(COURSE, new ExamCourses.Passage("p2", "lecture-2", "Greenhouse effect", P2));
        courses.addPassage(COURSE, new ExamCourses.Passage("p3", "lecture-2", "Integrals", P3));
    }

    /** A model answer streamed in pieces, as a provider streams it. */
    static FakeModelServer.Script streamed(String text) {
        int n = Math.max(1, text.length() / 5);
        String[] pieces = new String[(text.length() + n - 1) / n];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = text.substring(i * n, Math.min(text.length(), (i + 1) * n));
        }
        return FakeModelServer.answer(pieces);
    }

    static FakeModelServer.Script json(Object value) {
        return streamed(Json.write(value));
    }

    /**
     * A grader that reads the request it answers (the last one received: grading calls of one attempt are
     * sequential): the best rating when the student's answer mentions {@code keyword}, else the lowest; the quote is
     * the answer's first 30 characters. With {@code misquoteFirst} its first answer quotes words the student never
     * wrote.
     */
    FakeModelServer.Script grader(String keyword, boolean misquoteFirst) {
        boolean[] first = {misquoteFirst};
        return ex -> {
            JsonNode request = upstream.requests().get(upstream.requests().size() - 1);
            String user = "";
            for (JsonNode m : request.path("messages")) {
                if (m.path("role").asText().equals("user")) {
                    user = m.path("content").asText();
                    break;
                }
            }
            String answer = user.substring(user.indexOf("\"\"\"\n") + 4, user.lastIndexOf("\n\"\"\""));
            java.util.List<String[]> ratings = new java.util.ArrayList<>();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\n- (\\S+) \\(([0-9.]+) points\\)")
                    .matcher(user);
            while (m.find()) {
                ratings.add(new String[] {m.group(1), m.group(2)});
            }
            String[] pick = answer.contains(keyword) ? ratings.get(0) : ratings.get(ratings.size() - 1);
            String quote = first[0] ? "words the student never wrote" : answer.substring(0, Math.min(30, answer.length()));
            first[0] = false;
            json(Map.of("ratingId", pick[0], "points", Double.parseDouble(pick[1]), "justification",
                    "The answer " + (answer.contains(keyword) ? "names " : "does not name ") + keyword + ".",
                    "quote", quote)).run(ex);
        };
    }

    Job awaitFinal(String jobId) {
        await().atMost(Duration.ofSeconds(60)).until(() -> engine.find(jobId).orElseThrow().state().isFinal());
        return engine.find(jobId).orElseThrow();
    }

    static JsonNode tree(String json) throws Exception {
        return Json.MAPPER.readTree(json);
    }

    static boolean succeeded(Job job) {
        return job.state() == JobState.SUCCESS;
    }

    @Override
    public void close() {
        engine.close();
        http.close();
        timers.shutdownNow();
        upstream.close();
        models.close();
    }
}

package dev.lectern.courses.exams;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.ai.llm.ModelProvider;
import dev.lectern.ai.llm.internal.OpenAiCompatibleProvider;
import dev.lectern.ai.llm.internal.StreamingHttpClient;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.accounts.User;
import dev.lectern.accounts.UserRepository;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.courses.CourseIndex;
import dev.lectern.courses.CourseService;
import dev.lectern.courses.CourseServiceExamCourses;
import dev.lectern.courses.LectureService;
import dev.lectern.courses.MaterialService;
import dev.lectern.courses.ModelAnswers;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.JobState;
import dev.lectern.testing.MutableClock;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The exams feature on a real database and job engine, the courses feature behind its port as the server wires it
 * ({@link CourseServiceExamCourses}), a model served by a {@link FakeModelServer} over a real socket, and a server
 * clock the test moves. Real accounts; the course "Chemistry" is created by its lecturer lena, who enrols the students
 * sam and tia (mallory is a lecturer of no course); its text is three passages, one per uploaded material: p1
 * attached to the first lecture, p2 and p3 to the second.
 */
final class ExamsFixture implements AutoCloseable {
    static final String P1 = "Plants take up carbon dioxide (CO₂) from the air and release oxygen during photosynthesis.";
    static final String P2 = "Carbon dioxide absorbs infrared radiation and re-emits it, which warms the lower atmosphere.";
    static final String P3 = "The integral ∫₀¹ 2x dx equals 1, the area under the line y = 2x between 0 and 1.";

    final SqlDatabase db;
    final JobEngine engine;
    final FakeModelServer upstream;
    final MutableClock clock = new MutableClock(1_800_000_000_000L);
    final Exams exams;
    final ExamCourses courses;
    final Principal lena;
    final Principal sam;
    final Principal tia;
    final Principal mallory;
    /** The course's id. */
    final String course;
    /** The passages' ids, as the courses feature names them. */
    final String p1;
    final String p2;
    final String p3;
    private final CourseIndex index;
    private final StreamingHttpClient http;
    private final ScheduledExecutorService timers;
    private final ModelCatalog models;

    ExamsFixture(SqlDatabase db, Path dir) throws Exception {
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

        ServerConfig defaults = TestConfigs.defaults(Map.of());
        LocalObjectStore objects = new LocalObjectStore(Files.createDirectories(dir.resolve("objects")),
                new UrlSigner(new byte[32]), "/api/objects/", Clock.systemUTC());
        index = new CourseIndex(db, objects, defaults.ai().retrieval(), defaults.courses().minTermCoverage(),
                dir.resolve("course-index"), dir.resolve("tmp"));
        CourseService courseService = new CourseService(db, index);
        courses = new CourseServiceExamCourses(db, courseService, index);
        exams = new Exams(db, courses, clock, engine, models, 20_000, "");
        LectureService lectures = new LectureService(db, courseService, index, objects, engine, null,
                new ModelAnswers(null, ""), defaults.courses().audioBucket(), dir.resolve("tmp"));
        engine.start();

        UserRepository users = new UserRepository(db, Clock.systemUTC());
        lena = user(users, "lena", Role.TUTOR);
        sam = user(users, "sam", Role.STUDENT);
        tia = user(users, "tia", Role.STUDENT);
        mallory = user(users, "mallory", Role.TUTOR);
        course = courseService.create(lena, new CourseService.CourseFields("Chemistry", "CHEM101", "", "", "en")).id();
        courseService.enrol(lena, course, sam.userId());
        courseService.enrol(lena, course, tia.userId());
        String first = lectures.create(lena, course, new LectureService.LectureFields("Plants", null, null)).id();
        String second = lectures.create(lena, course, new LectureService.LectureFields("Climate", null, null)).id();
        MaterialService materials = new MaterialService(db, courseService, index, objects,
                defaults.courses().contentBucket());
        for (String[] m : List.of(new String[] {first, "photosynthesis.md", P1},
                new String[] {second, "greenhouse.md", P2}, new String[] {second, "integrals.md", P3})) {
            Path file = Files.writeString(dir.resolve(m[1]), m[2], StandardCharsets.UTF_8);
            materials.upload(lena, course, m[0], m[1], file, Files.size(file));
        }
        List<ExamCourses.Passage> passages = courses.passages(course, List.of(), 10);
        if (passages.size() != 3) {
            throw new IllegalStateException("expected three passages, got " + passages);
        }
        // by text: materials uploaded within one clock tick have no order between them (created_at, then random id)
        p1 = passageOf(passages, P1);
        p2 = passageOf(passages, P2);
        p3 = passageOf(passages, P3);
    }

    private static String passageOf(List<ExamCourses.Passage> passages, String text) {
        return passages.stream().filter(p -> p.text().contains(text)).map(ExamCourses.Passage::id).findFirst()
                .orElseThrow(() -> new IllegalStateException("no passage holds \"" + text + "\": " + passages));
    }

    private static Principal user(UserRepository users, String name, Role role) {
        User u = users.create(name + "@example.org", "$2a$10$unusable", role, name);
        return new Principal(Long.toString(u.id()), role, "t-" + name);
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
        index.close();
    }
}

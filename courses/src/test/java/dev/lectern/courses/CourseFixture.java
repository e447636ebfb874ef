package dev.lectern.courses;

import dev.lectern.accounts.User;
import dev.lectern.accounts.UserRepository;
import dev.lectern.ai.llm.internal.OpenAiCompatibleProvider;
import dev.lectern.ai.llm.internal.StreamingHttpClient;
import dev.lectern.ai.retrieval.Transcriber;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.CoursesConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.JobEngine;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Dsl;

/**
 * The courses feature built as the server builds it, on a given database, with a local object store, the job engine,
 * a transcription service and a model at the given URLs ("" for none), and real users in the accounts table.
 */
final class CourseFixture implements AutoCloseable {
    final SqlDatabase db;
    final JobEngine engine;
    final ObjectStore objects;
    final CourseIndex index;
    final OrgService org;
    final CourseService courses;
    final MaterialService materials;
    final LectureService lectures;
    final CourseQuery query;
    final ModelAnswers model;
    final UserRepository users;
    private final AsyncHttpClient http = Dsl.asyncHttpClient(Dsl.config().setIoThreadsCount(1));
    private final StreamingHttpClient streaming = new StreamingHttpClient(2000, 1);
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

    CourseFixture(SqlDatabase db, Path dir, String transcriptionUrl, String modelUrl, int segmentSeconds)
            throws IOException {
        this(db, dir, transcriptionUrl, modelUrl, segmentSeconds, new LocalObjectStore(
                Files.createDirectories(dir.resolve("objects")), new UrlSigner(new byte[32]), "/api/objects/",
                Clock.systemUTC()));
    }

    /** With the given object store (S3 buckets, say). */
    CourseFixture(SqlDatabase db, Path dir, String transcriptionUrl, String modelUrl, int segmentSeconds,
                  ObjectStore objects) throws IOException {
        this.db = db;
        this.engine = new JobEngine(db, TestConfigs.defaults(Map.of("LECTERN_JOBS__HEARTBEAT_MILLIS", "100",
                "LECTERN_JOBS__LEASE_MILLIS", "2000")).jobs(), null, new SimpleMeterRegistry(), "courses");
        this.objects = objects;
        CoursesConfig cc = TestConfigs.defaults(Map.of()).courses();
        AiConfig.Retrieval retrieval = TestConfigs.defaults(Map.of()).ai().retrieval();
        this.index = new CourseIndex(db, objects, retrieval, cc.minTermCoverage(), dir.resolve("index"),
                dir.resolve("tmp"));
        this.org = new OrgService(db);
        this.courses = new CourseService(db, index);
        this.materials = new MaterialService(db, courses, index, objects, cc.contentBucket());
        if (modelUrl.isEmpty()) {
            this.model = new ModelAnswers(null, "");
        } else {
            AiConfig ai = TestAi.config(modelUrl);
            this.model = new ModelAnswers(new OpenAiCompatibleProvider(ai.providers().get(0),
                    Optional.of(new Secret("test", "k")), ai, streaming, timers), "fake-model");
        }
        Transcriber transcriber = new Transcriber(new AiConfig.Transcription(transcriptionUrl, "whisper-1", "",
                30_000), Optional.empty(), http);
        TranscriptionPipeline pipeline = new TranscriptionPipeline("ffmpeg", "ffprobe", transcriber, segmentSeconds,
                3, 10);
        this.lectures = new LectureService(db, courses, index, objects, engine, pipeline, model, cc.audioBucket(),
                dir.resolve("tmp"));
        this.query = new CourseQuery(courses, model, cc.topPassages(), cc.answerMaxTokens());
        this.users = new UserRepository(db, Clock.systemUTC());
        engine.start();
    }

    /** A real account with the role; its principal. */
    Principal user(String name, Role role) {
        User u = users.create(name + "@example.org", "$2a$10$unusable", role, name);
        return new Principal(Long.toString(u.id()), role, "t-" + name);
    }

    @Override
    public void close() throws IOException {
        engine.close();
        index.close();
        streaming.close();
        timers.shutdownNow();
        http.close();
    }
}

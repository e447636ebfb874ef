package dev.lectern.server;

import dev.lectern.accounts.oidc.OidcUsers;
import dev.lectern.ai.AiPipeline;
import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.ai.retrieval.Transcriber;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.CoursesConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.courses.CourseIndex;
import dev.lectern.courses.CourseQuery;
import dev.lectern.courses.CourseService;
import dev.lectern.courses.CourseServiceExamCourses;
import dev.lectern.courses.LectureService;
import dev.lectern.courses.MaterialService;
import dev.lectern.courses.ModelAnswers;
import dev.lectern.courses.OrgService;
import dev.lectern.courses.TranscriptionPipeline;
import dev.lectern.courses.exams.ExamCourses;
import dev.lectern.courses.web.CoursesApi;
import dev.lectern.http.Router;
import dev.lectern.http.multipart.MultipartLimits;
import dev.lectern.jobs.JobEngine;
import java.time.Duration;
import java.util.Optional;

/**
 * The courses feature's wiring (issue 24): the organisation, courses, the per-course passage index (under
 * {@code <dataDir>/course-index}), materials, lectures with their transcription and notes jobs on the shared job
 * engine, the course question on the configured default model, and their routes.
 */
final class CoursesModule implements FeatureModule {
    private final CoursesApi api;
    private final ExamCourses examCourses;

    /** @param oidcUsers external sign-in's users (their mapped organisation groups are assigned here), or null */
    CoursesModule(ServerConfig config, Secrets secrets, InfrastructureModule infra, AiPipeline ai, JobEngine engine,
                  OidcUsers oidcUsers, Closeables closeables) {
        CoursesConfig cc = config.courses();
        AiConfig.Transcription t = config.ai().transcription();
        Optional<Secret> key = t.apiKeyEnv().isEmpty() ? Optional.empty() : secrets.get(t.apiKeyEnv());
        CourseIndex index = index(config, infra, closeables);
        OrgService org = new OrgService(infra.sql);
        if (oidcUsers != null) {
            oidcUsers.onGroup(org::provisionGroup);
        }
        CourseService courses = new CourseService(infra.sql, index);
        MaterialService materials = new MaterialService(infra.sql, courses, index, infra.objects, cc.contentBucket());
        this.examCourses = new CourseServiceExamCourses(infra.sql, courses, index);
        ModelCatalog models = ai.models();
        ModelAnswers model = config.ai().providers().isEmpty() ? new ModelAnswers(null, "")
                : new ModelAnswers(models.provider(models.defaultModel()), models.defaultModel());
        TranscriptionPipeline pipeline = new TranscriptionPipeline(cc.ffmpeg(), cc.ffprobe(),
                new Transcriber(t, key, infra.outbound.client()), cc.segmentSeconds(), cc.segmentAttempts(),
                cc.segmentRetryMillis());
        LectureService lectures = new LectureService(infra.sql, courses, index, infra.objects, engine, pipeline,
                model, cc.audioBucket(), infra.dataDir.resolve("tmp"));
        CourseQuery query = new CourseQuery(courses, model, cc.topPassages(), cc.answerMaxTokens());
        this.api = new CoursesApi(org, courses, materials, lectures, query,
                MultipartLimits.oneFile(cc.maxRecordingBytes(), 4, infra.uploadSpool),
                MultipartLimits.oneFile(cc.maxMaterialBytes(), 4, infra.uploadSpool), infra.blocking,
                Duration.ofSeconds(config.storage().objects().urlTtlSeconds()));
    }

    private static CourseIndex index(ServerConfig config, InfrastructureModule infra, Closeables closeables) {
        return closeables.add(new CourseIndex(infra.sql, infra.objects, config.ai().retrieval(),
                config.courses().minTermCoverage(), infra.dataDir.resolve("course-index"),
                infra.dataDir.resolve("tmp"), infra.ephemeral, infra.blocking)); // changes announced across nodes
    }

    /** The courses as the exams feature reaches them. */
    ExamCourses examCourses() {
        return examCourses;
    }

    /** The courses as the exams' jobs reach them on a worker node (which serves no course routes). */
    static ExamCourses examCourses(ServerConfig config, InfrastructureModule infra, Closeables closeables) {
        CourseIndex index = index(config, infra, closeables);
        return new CourseServiceExamCourses(infra.sql, new CourseService(infra.sql, index), index);
    }

    @Override
    public void registerRoutes(Router.Builder routes) {
        api.register(routes);
    }
}

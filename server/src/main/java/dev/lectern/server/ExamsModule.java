package dev.lectern.server;

import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.core.config.ExamsConfig;
import dev.lectern.courses.exams.Exams;
import dev.lectern.courses.exams.ExamCourses;
import dev.lectern.courses.exams.export.ExamPdf;
import dev.lectern.courses.exams.web.ExamsApi;
import dev.lectern.http.Router;
import dev.lectern.jobs.JobEngine;
import java.nio.file.Path;

/**
 * The exams feature's wiring (issue #25): the bank, rubrics, exams, attempts and grading on the shared SQL store and
 * server clock, their job kinds on the jobs module's engine, the configured models, and their routes. Who teaches or
 * takes a course and the course's passages come from the courses feature through {@link ExamCourses}.
 */
final class ExamsModule implements FeatureModule {
    private final ExamsApi api;

    ExamsModule(ExamsConfig config, InfrastructureModule infra, JobsModule jobs, ModelCatalog models,
                ExamCourses courses) {
        this.api = new ExamsApi(exams(config, infra, jobs.engine(), models, courses),
                new ExamPdf(Path.of(config.fontDir())));
    }

    /** The feature on this node's store, clock and job engine; building it registers the exams' job kinds. */
    static Exams exams(ExamsConfig config, InfrastructureModule infra, JobEngine engine, ModelCatalog models,
                       ExamCourses courses) {
        return new Exams(infra.sql, courses, infra.clock, engine, models, config.modelTimeoutMillis(),
                config.gradingModel());
    }

    @Override
    public void registerRoutes(Router.Builder routes) {
        api.register(routes);
    }
}

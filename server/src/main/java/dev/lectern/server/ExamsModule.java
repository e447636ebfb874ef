package dev.lectern.server;

import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.courses.exams.Exams;
import dev.lectern.courses.exams.ExamCourses;
import dev.lectern.courses.exams.export.ExamPdf;
import dev.lectern.courses.exams.web.ExamsApi;
import dev.lectern.http.Router;

/**
 * The exams feature's wiring (issue #25): the bank, rubrics, exams, attempts and grading on the shared SQL store and
 * server clock, their job kinds on the jobs module's engine, the configured models, and their routes. Who teaches or
 * takes a course and the course's passages come from the courses feature through {@link ExamCourses}.
 */
final class ExamsModule implements FeatureModule {
    private final ExamsApi api;

    ExamsModule(InfrastructureModule infra, JobsModule jobs, ModelCatalog models, CoursesModule courses) {
        Exams exams = new Exams(infra.sql, courses.examCourses(), infra.clock, jobs.engine(), models,
                Exams.MODEL_TIMEOUT_MILLIS, "");
        this.api = new ExamsApi(exams, new ExamPdf(ExamPdf.DEFAULT_FONT_DIR));
    }

    @Override
    public void registerRoutes(Router.Builder routes) {
        api.register(routes);
    }
}

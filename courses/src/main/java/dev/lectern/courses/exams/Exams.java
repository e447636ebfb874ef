package dev.lectern.courses.exams;

import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.JobEngine;
import java.time.Clock;

/**
 * The exams feature put together: the bank, rubrics, exams, attempts, grading and generation on one store, one
 * courses port, one server clock, and the job engine (kinds {@value ExamGenerator#KIND}, {@value GradingService#KIND},
 * {@value RubricService#DRAFT} are registered here, so build it before the engine starts).
 */
public final class Exams {
    /** How many answers a model call may ask for (first + retries with errors); the timeout is exams.modelTimeoutMillis. */
    public static final int MODEL_ATTEMPTS = 3;

    private final QuestionBank bank;
    private final RubricService rubrics;
    private final ExamService exams;
    private final AttemptService attempts;
    private final GradingService grading;
    private final ExamGenerator generator;
    private final StudentExams students;

    /** @param gradingModel the model that grades written answers ("" = the default model) */
    public Exams(SqlDatabase db, ExamCourses courses, Clock clock, JobEngine engine, ModelCatalog models,
                 long modelTimeoutMillis, String gradingModel) {
        ExamContext ctx = new ExamContext(db, courses, clock);
        ModelJson model = new ModelJson(models, modelTimeoutMillis, MODEL_ATTEMPTS);
        this.bank = new QuestionBank(ctx);
        this.exams = new ExamService(ctx);
        this.rubrics = new RubricService(ctx, model, engine);
        this.attempts = new AttemptService(ctx, exams, engine);
        this.grading = new GradingService(ctx, exams, attempts, new RubricGrader(model), engine, gradingModel);
        this.generator = new ExamGenerator(ctx, bank, exams, model, engine);
        this.students = new StudentExams(ctx, grading);
    }

    public QuestionBank bank() {
        return bank;
    }

    public RubricService rubrics() {
        return rubrics;
    }

    public ExamService exams() {
        return exams;
    }

    public AttemptService attempts() {
        return attempts;
    }

    public GradingService grading() {
        return grading;
    }

    public ExamGenerator generator() {
        return generator;
    }

    public StudentExams students() {
        return students;
    }
}

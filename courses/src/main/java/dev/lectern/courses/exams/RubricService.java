package dev.lectern.courses.exams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.courses.exams.Rubric.Criterion;
import dev.lectern.courses.exams.Rubric.Rating;
import dev.lectern.jobs.Enqueued;
import dev.lectern.jobs.JobContext;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import dev.lectern.jobs.PermanentJobFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Canvas-shaped rubrics of a course: criteria with ratings (description, long description, points), a criterion worth
 * its best rating. Written by hand, or drafted by the model from a question and its cited passage ({@value #DRAFT}
 * job: the draft is saved as a new rubric for the lecturer to edit). Every change is a new version. Blocking.
 */
public final class RubricService {
    public static final String DRAFT = "exams.rubric.draft";
    static final int MAX_CRITERIA = 20;
    static final int MAX_RATINGS = 10;

    private final ExamContext ctx;
    private final ModelJson model;
    private final JobEngine engine;

    RubricService(ExamContext ctx, ModelJson model, JobEngine engine) {
        this.ctx = ctx;
        this.model = model;
        this.engine = engine;
        engine.register(DRAFT, KindOptions.DEFAULTS.withMaxAttempts(1), this::runDraft);
    }

    public Rubric create(Principal caller, String courseId, String title, List<Criterion> criteria) {
        ctx.requireTeacher(caller, courseId);
        long now = ctx.now();
        Rubric r = new Rubric(ExamContext.newId(), courseId, title(title), normalize(criteria), 1, caller.userId(),
                now, now);
        return ctx.db().transaction(c -> {
            ctx.repo().insertRubric(c, r);
            return r;
        });
    }

    public Rubric get(Principal caller, String id) {
        return ctx.db().query(c -> owned(c, caller, id));
    }

    public List<Rubric> list(Principal caller, String courseId) {
        ctx.requireTeacher(caller, courseId);
        return ctx.db().query(c -> ctx.repo().rubrics(c, courseId));
    }

    public Rubric edit(Principal caller, String id, int expectedVersion, String title, List<Criterion> criteria) {
        return ctx.db().transaction(c -> {
            Rubric r = owned(c, caller, id);
            if (r.version() != expectedVersion) {
                throw ExamContext.conflict("version_conflict", "the rubric is at version " + r.version() + ", not "
                        + expectedVersion + "; reload it");
            }
            Rubric next = new Rubric(r.id(), r.courseId(), title == null ? r.title() : title(title),
                    criteria == null ? r.criteria() : normalize(criteria), r.version() + 1, r.createdBy(),
                    r.createdAt(), ctx.now());
            if (!ctx.repo().updateRubric(c, next, r.version(), caller.userId())) {
                throw ExamContext.conflict("version_conflict", "the rubric changed meanwhile; reload it");
            }
            return next;
        });
    }

    /** Queues a model draft of a rubric for a written question; the job's result names the new rubric. */
    public Enqueued draft(Principal caller, String questionId, String modelId) {
        Question q = ctx.db().query(c -> ctx.repo().question(c, questionId))
                .filter(x -> ctx.courses().mayTeach(caller, x.courseId()))
                .orElseThrow(() -> ServiceException.notFound("question not found"));
        if (!q.content().type().isWritten()) {
            throw ServiceException.badRequest("rubrics grade short answers and essays");
        }
        return engine.enqueue(NewJob.of(DRAFT, Json.write(Map.of("questionId", questionId, "model",
                modelId == null ? "" : modelId, "userId", caller.userId()))).owner(caller.userId()));
    }

    private String runDraft(JobContext job) throws Exception {
        JsonNode p = Json.MAPPER.readTree(job.payload());
        Question q = ctx.db().query(c -> ctx.repo().question(c, p.path("questionId").asText()))
                .orElseThrow(() -> new PermanentJobFailure("the question is gone"));
        QuestionContent qc = q.content();
        String passage = qc.citation() == null ? "" : ctx.courses().passage(q.courseId(), qc.citation().passageId())
                .map(ExamCourses.Passage::text).orElse("");
        String system = "You write grading rubrics in Canvas's shape. Answer with one JSON object and nothing else: "
                + "{\"title\": string, \"criteria\": [{\"description\": string, \"longDescription\": string, "
                + "\"ratings\": [{\"description\": string, \"longDescription\": string, \"points\": number}]}]}. "
                + "2-5 criteria, each with 2-5 ratings from best (most points) to worst (0 points); the points of the "
                + "criteria together should equal the question's points.";
        String user = "Question (" + qc.type().wire() + ", " + qc.points() + " points, language " + qc.language()
                + "): " + qc.stem() + "\nModel answer: " + qc.modelAnswer() + "\nCourse passage it tests: "
                + ModelJson.clip(passage, 3000);
        JsonNode answer;
        try {
            answer = model.ask(p.path("model").asText(""), system, user, 2000, RubricService::validateDraft,
                    job::isCancelled);
        } catch (ModelJson.ModelJsonException e) {
            throw new PermanentJobFailure(e.code() + ": " + e.getMessage());
        }
        List<Criterion> criteria = new ArrayList<>();
        for (JsonNode cn : answer.path("criteria")) {
            List<Rating> ratings = new ArrayList<>();
            for (JsonNode rn : cn.path("ratings")) {
                ratings.add(new Rating(null, rn.path("description").asText(), rn.path("longDescription").asText(""),
                        rn.path("points").asDouble()));
            }
            criteria.add(new Criterion(null, cn.path("description").asText(), cn.path("longDescription").asText(""), 0,
                    ratings));
        }
        long now = ctx.now();
        Rubric r = new Rubric(ExamContext.newId(), q.courseId(), title(answer.path("title").asText("Rubric")),
                normalize(criteria), 1, p.path("userId").asText(), now, now);
        ctx.db().transaction(c -> {
            ctx.repo().insertRubric(c, r);
            return null;
        });
        return Json.write(Map.of("rubricId", r.id(), "rubric", r));
    }

    static List<String> validateDraft(JsonNode root) {
        List<String> errors = new ArrayList<>();
        if (!root.path("title").isTextual()) {
            errors.add("$.title: a string");
        }
        JsonNode criteria = root.path("criteria");
        if (!criteria.isArray() || criteria.isEmpty() || criteria.size() > MAX_CRITERIA) {
            errors.add("$.criteria: an array of 1-" + MAX_CRITERIA + " criteria");
            return errors;
        }
        for (int i = 0; i < criteria.size(); i++) {
            JsonNode cn = criteria.get(i);
            if (!cn.path("description").isTextual() || cn.path("description").asText().isBlank()) {
                errors.add("$.criteria[" + i + "].description: a non-empty string");
            }
            JsonNode ratings = cn.path("ratings");
            if (!ratings.isArray() || ratings.size() < 2 || ratings.size() > MAX_RATINGS) {
                errors.add("$.criteria[" + i + "].ratings: an array of 2-" + MAX_RATINGS + " ratings");
                continue;
            }
            for (int j = 0; j < ratings.size(); j++) {
                JsonNode rn = ratings.get(j);
                if (!rn.path("description").isTextual()) {
                    errors.add("$.criteria[" + i + "].ratings[" + j + "].description: a string");
                }
                if (!rn.path("points").isNumber() || rn.path("points").asDouble() < 0) {
                    errors.add("$.criteria[" + i + "].ratings[" + j + "].points: a number, 0 or more");
                }
            }
        }
        return errors;
    }

    private Rubric owned(Connection c, Principal caller, String id) throws SQLException {
        Rubric r = ctx.repo().rubric(c, id).orElseThrow(() -> ServiceException.notFound("rubric not found"));
        if (!ctx.courses().mayTeach(caller, r.courseId())) {
            throw ServiceException.notFound("rubric not found");
        }
        return r;
    }

    /**
     * Checks criteria and gives missing ids ({@code c1}, {@code c1r1}, ...): descriptions 1-255 characters, 2-10
     * ratings with distinct ids and finite points of 0 or more, ratings ordered best first, a criterion's points its
     * best rating's.
     */
    static List<Criterion> normalize(List<Criterion> criteria) {
        if (criteria == null || criteria.isEmpty() || criteria.size() > MAX_CRITERIA) {
            throw ServiceException.badRequest("criteria: 1-" + MAX_CRITERIA + " criteria");
        }
        List<String> errors = new ArrayList<>();
        Set<String> criterionIds = new HashSet<>();
        List<Criterion> out = new ArrayList<>();
        for (int i = 0; i < criteria.size(); i++) {
            Criterion cr = criteria.get(i);
            String cid = cr.id() == null || cr.id().isBlank() ? "c" + (i + 1) : cr.id();
            String where = "criteria[" + i + "]";
            if (!cid.matches("[A-Za-z0-9_-]{1,40}") || !criterionIds.add(cid)) {
                errors.add(where + ".id: distinct, 1-40 letters, digits, _ or -");
            }
            if (cr.description() == null || cr.description().isBlank() || cr.description().length() > 255) {
                errors.add(where + ".description: 1-255 characters");
            }
            if (cr.ratings().size() < 2 || cr.ratings().size() > MAX_RATINGS) {
                errors.add(where + ".ratings: 2-" + MAX_RATINGS + " ratings");
            }
            Set<String> ratingIds = new HashSet<>();
            List<Rating> ratings = new ArrayList<>();
            for (int j = 0; j < cr.ratings().size(); j++) {
                Rating r = cr.ratings().get(j);
                String rid = r.id() == null || r.id().isBlank() ? cid + "r" + (j + 1) : r.id();
                if (!rid.matches("[A-Za-z0-9_-]{1,40}") || !ratingIds.add(rid)) {
                    errors.add(where + ".ratings[" + j + "].id: distinct, 1-40 letters, digits, _ or -");
                }
                if (r.description() == null || r.description().length() > 255) {
                    errors.add(where + ".ratings[" + j + "].description: at most 255 characters");
                }
                if (!Double.isFinite(r.points()) || r.points() < 0 || r.points() > 1000) {
                    errors.add(where + ".ratings[" + j + "].points: 0-1000");
                }
                ratings.add(new Rating(rid, r.description() == null ? "" : r.description().strip(),
                        r.longDescription(), r.points()));
            }
            ratings.sort(Comparator.comparingDouble(Rating::points).reversed());
            double best = ratings.isEmpty() ? 0 : ratings.get(0).points();
            if (best <= 0) {
                errors.add(where + ": its best rating must be worth more than 0 points");
            }
            out.add(new Criterion(cid, cr.description() == null ? "" : cr.description().strip(), cr.longDescription(),
                    best, ratings));
        }
        if (!errors.isEmpty()) {
            throw ExamContext.invalid("rubric", errors);
        }
        return out;
    }

    private static String title(String title) {
        String t = title == null ? "" : title.strip();
        if (t.isEmpty() || t.length() > 200) {
            throw ServiceException.badRequest("title: 1-200 characters");
        }
        return t;
    }
}

package dev.lectern.courses.exams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.courses.exams.Rubric.Criterion;
import dev.lectern.courses.exams.Rubric.Rating;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Grades one written answer against a rubric with the model, one call per criterion: a rating of that criterion, its
 * points, and a justification quoting the span of the answer it rests on. An answer is accepted only if the rating
 * exists, the points are the rating's, and the quote really is in the student's answer; otherwise it is asked again
 * with the errors ({@link ModelJson}). An empty answer gets each criterion's lowest rating without asking the model.
 */
public final class RubricGrader {
    private final ModelJson model;

    public RubricGrader(ModelJson model) {
        this.model = model;
    }

    /** One criterion's grade. */
    public record CriterionGrade(String criterionId, String ratingId, double points, String justification,
                                 String quote) {}

    /** The grade of an answer: per criterion, and the question's points scaled from the rubric's. */
    public record Grade(List<CriterionGrade> criteria, double rubricPoints, double points) {}

    public Grade grade(QuestionContent question, Rubric rubric, String answer, String modelId,
                       BooleanSupplier cancelled) {
        List<CriterionGrade> out = new ArrayList<>();
        for (Criterion criterion : rubric.criteria()) {
            if (answer.isBlank()) {
                Rating lowest = criterion.ratings().get(criterion.ratings().size() - 1);
                out.add(new CriterionGrade(criterion.id(), lowest.id(), lowest.points(), "No answer was given.", ""));
                continue;
            }
            JsonNode g = model.ask(modelId, system(), user(question, criterion, answer), 600,
                    root -> validate(root, criterion, answer), cancelled);
            out.add(new CriterionGrade(criterion.id(), g.path("ratingId").asText(), g.path("points").asDouble(),
                    g.path("justification").asText(), g.path("quote").asText()));
        }
        double sum = out.stream().mapToDouble(CriterionGrade::points).sum();
        double possible = rubric.pointsPossible();
        return new Grade(out, sum, round2(possible == 0 ? 0 : sum / possible * question.points()));
    }

    static List<String> validate(JsonNode root, Criterion criterion, String answer) {
        List<String> errors = new ArrayList<>();
        for (String f : List.of("ratingId", "points", "justification", "quote")) {
            if (!root.has(f)) {
                errors.add("$." + f + ": required");
            }
        }
        Rating rating = criterion.ratings().stream().filter(r -> r.id().equals(root.path("ratingId").asText()))
                .findFirst().orElse(null);
        if (rating == null) {
            errors.add("$.ratingId: one of " + criterion.ratings().stream().map(Rating::id).toList());
        } else if (!root.path("points").isNumber() || Math.abs(root.path("points").asDouble() - rating.points()) > 1e-9) {
            errors.add("$.points: the chosen rating is worth " + rating.points());
        }
        if (!root.path("justification").isTextual() || root.path("justification").asText().isBlank()) {
            errors.add("$.justification: a non-empty string");
        }
        if (!root.path("quote").isTextual() || !QuestionChecks.quoted(root.path("quote").asText(), answer)) {
            errors.add("$.quote: copy a span of at least 8 characters from the student's answer, verbatim");
        }
        return errors;
    }

    private static String system() {
        return "You grade one criterion of a rubric for a student's written answer. Answer with one JSON object and "
                + "nothing else: {\"ratingId\": string, \"points\": number, \"justification\": string, \"quote\": "
                + "string}. Choose exactly one of the criterion's ratings; points are that rating's points. The "
                + "justification explains the rating in one to three sentences; the quote is the span of the "
                + "student's answer the rating rests on, copied verbatim.";
    }

    private static String user(QuestionContent q, Criterion c, String answer) {
        StringBuilder b = new StringBuilder("Question: ").append(q.stem());
        if (!q.modelAnswer().isBlank()) {
            b.append("\nModel answer: ").append(q.modelAnswer());
        }
        b.append("\nCriterion ").append(c.id()).append(": ").append(c.description());
        if (!c.longDescription().isBlank()) {
            b.append(" — ").append(c.longDescription());
        }
        b.append("\nRatings:");
        for (Rating r : c.ratings()) {
            b.append("\n- ").append(r.id()).append(" (").append(r.points()).append(" points): ").append(r.description());
            if (!r.longDescription().isBlank()) {
                b.append(" — ").append(r.longDescription());
            }
        }
        b.append("\nStudent's answer:\n\"\"\"\n").append(answer).append("\n\"\"\"");
        return b.toString();
    }

    static Map<String, Object> toJson(Grade g, String model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("criteria", g.criteria());
        m.put("rubricPoints", g.rubricPoints());
        m.put("points", g.points());
        return m;
    }

    static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }
}

package dev.lectern.courses.exams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.error.ServiceException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What a lecturer asks to be generated: how many questions of each type, from which lectures / materials of the
 * course (all when empty), at what difficulty and Bloom level, in which language, with which model ("" = default).
 * With an {@code examTitle} the kept questions also become a draft exam of that title.
 */
public record GenerateRequest(String courseId, Map<QuestionType, Integer> counts, List<String> sourceIds,
                              Difficulty difficulty, Bloom bloom, String language, String model, String examTitle) {
    public static final int MAX_PER_TYPE = 20;
    public static final int MAX_TOTAL = 50;

    public GenerateRequest {
        counts = counts == null ? Map.of() : Map.copyOf(counts);
        sourceIds = sourceIds == null ? List.of() : List.copyOf(sourceIds);
        difficulty = difficulty == null ? Difficulty.MEDIUM : difficulty;
        bloom = bloom == null ? Bloom.UNDERSTAND : bloom;
        language = language == null || language.isBlank() ? "en" : language.strip();
        model = model == null ? "" : model.strip();
        examTitle = examTitle == null || examTitle.isBlank() ? null : examTitle.strip();
    }

    void check() {
        if (courseId == null || courseId.isBlank()) {
            throw ServiceException.badRequest("courseId is required");
        }
        int total = 0;
        for (Map.Entry<QuestionType, Integer> e : counts.entrySet()) {
            if (e.getValue() == null || e.getValue() < 0 || e.getValue() > MAX_PER_TYPE) {
                throw ServiceException.badRequest("counts." + e.getKey().wire() + ": 0-" + MAX_PER_TYPE);
            }
            total += e.getValue();
        }
        if (total < 1 || total > MAX_TOTAL) {
            throw ServiceException.badRequest("counts: 1-" + MAX_TOTAL + " questions in all");
        }
        if (sourceIds.size() > 100 || language.length() > 16 || model.length() > 100
                || (examTitle != null && examTitle.length() > 200)) {
            throw ServiceException.badRequest("sourceIds (at most 100), language, model or examTitle too long");
        }
    }

    /** The request as JSON (counts keyed by wire type names), as {@link #fromJson} reads it. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("courseId", courseId);
        Map<String, Integer> c = new LinkedHashMap<>();
        countsInOrder().forEach((t, n) -> c.put(t.wire(), n));
        m.put("counts", c);
        m.put("sourceIds", sourceIds);
        m.put("difficulty", difficulty.wire());
        m.put("bloom", bloom.wire());
        m.put("language", language);
        m.put("model", model);
        m.put("examTitle", examTitle);
        return m;
    }

    /** Reads a request body; {@code courseId} from the route wins over the body's. */
    public static GenerateRequest fromJson(JsonNode b, String courseId) {
        Map<QuestionType, Integer> counts = new EnumMap<>(QuestionType.class);
        JsonNode cn = b.path("counts");
        if (!cn.isObject()) {
            throw ServiceException.badRequest("counts: an object of question type to number, e.g. {\"essay\": 1}");
        }
        cn.fields().forEachRemaining(e -> {
            if (!e.getValue().canConvertToInt()) {
                throw ServiceException.badRequest("counts." + e.getKey() + ": a whole number");
            }
            counts.put(QuestionType.parse(e.getKey()), e.getValue().asInt());
        });
        List<String> sources = new ArrayList<>();
        b.path("sourceIds").forEach(n -> sources.add(n.asText()));
        return new GenerateRequest(courseId != null ? courseId : text(b, "courseId"), counts, sources,
                b.hasNonNull("difficulty") ? Difficulty.parse(text(b, "difficulty")) : null,
                b.hasNonNull("bloom") ? Bloom.parse(text(b, "bloom")) : null, text(b, "language"), text(b, "model"),
                text(b, "examTitle"));
    }

    private static String text(JsonNode b, String field) {
        JsonNode v = b.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ServiceException.badRequest(field + " must be a string");
        }
        return v.asText();
    }

    Map<QuestionType, Integer> countsInOrder() {
        Map<QuestionType, Integer> out = new EnumMap<>(QuestionType.class);
        counts.forEach((t, n) -> {
            if (n > 0) {
                out.put(t, n);
            }
        });
        return out;
    }
}

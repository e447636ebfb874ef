package dev.lectern.courses.exams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.courses.exams.QuestionContent.Option;
import java.util.HashSet;
import java.util.Set;

/**
 * A student's response to one question, as JSON: {@code {"selected":[ids]}} for choices, {@code {"value":n}} for a
 * number, {@code {"text":"…"}} for written answers; {@code {}} is no answer. Checking it, and grading the objective
 * types exactly: the full points for the key (the key for single choice and true/false, within the tolerance for a
 * number, an accepted answer for a short answer without rubric), else 0. Multiple select gets partial credit by
 * default, Canvas's rule for multiple-answer questions: {@code points × max(0, (right chosen − wrong chosen) / keys)}
 * (every key chosen and nothing else: full points; each wrong choice cancels one right one; never below 0), the points
 * rounded to 4 decimals; a question with {@code partialCredit: false} gets the full points for exactly the keys, else 0.
 */
public final class Responses {
    public static final int MAX_SHORT_ANSWER = 2_000;
    public static final int MAX_ESSAY = 20_000;

    private Responses() {}

    /** The response checked against the question, in its canonical form; 400 when it does not fit. */
    public static ObjectNode check(QuestionContent q, JsonNode r) {
        if (r == null || !r.isObject()) {
            throw ServiceException.badRequest("response: an object");
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        switch (q.type()) {
            case SINGLE_CHOICE, TRUE_FALSE, MULTIPLE_SELECT -> {
                JsonNode sel = r.has("selected") && !r.get("selected").isNull() ? r.get("selected")
                        : Json.MAPPER.createArrayNode(); // no selection: the answer cleared
                if (!sel.isArray()) {
                    throw ServiceException.badRequest("response.selected: an array of option ids");
                }
                Set<String> ids = new HashSet<>();
                q.options().forEach(o -> ids.add(o.id()));
                Set<String> seen = new HashSet<>();
                var arr = out.putArray("selected");
                for (JsonNode n : sel) {
                    if (!n.isTextual() || !ids.contains(n.asText()) || !seen.add(n.asText())) {
                        throw ServiceException.badRequest("response.selected: distinct ids of the question's options");
                    }
                    arr.add(n.asText());
                }
                if (q.type() != QuestionType.MULTIPLE_SELECT && seen.size() > 1) {
                    throw ServiceException.badRequest("response.selected: one option at most");
                }
            }
            case NUMERIC -> {
                JsonNode v = r.path("value");
                if (!v.isNull() && !v.isMissingNode()) {
                    if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
                        throw ServiceException.badRequest("response.value: a finite number");
                    }
                    out.put("value", v.asDouble());
                }
            }
            case SHORT_ANSWER, ESSAY -> {
                JsonNode t = r.path("text");
                int max = q.type() == QuestionType.ESSAY ? MAX_ESSAY : MAX_SHORT_ANSWER;
                if (!t.isMissingNode() && !t.isNull()) {
                    if (!t.isTextual() || t.asText().length() > max) {
                        throw ServiceException.badRequest("response.text: a string of at most " + max + " characters");
                    }
                    out.put("text", t.asText());
                }
            }
        }
        return out;
    }

    /** True when the model grades this question (written, with a rubric). */
    public static boolean byRubric(QuestionContent q) {
        return q.type().isWritten() && q.rubricId() != null;
    }

    /** The exact points of an objective (or accepted-answer) question. */
    public static double grade(QuestionContent q, JsonNode r) {
        if (q.type() == QuestionType.MULTIPLE_SELECT && Boolean.TRUE.equals(q.partialCredit())) {
            return Math.round(q.points() * partialCredit(q, r) * 10_000) / 10_000.0;
        }
        boolean right = switch (q.type()) {
            case SINGLE_CHOICE, TRUE_FALSE, MULTIPLE_SELECT -> {
                Set<String> chosen = new HashSet<>();
                r.path("selected").forEach(n -> chosen.add(n.asText()));
                Set<String> keys = new HashSet<>();
                q.keys().forEach(o -> keys.add(o.id()));
                yield !chosen.isEmpty() && chosen.equals(keys);
            }
            case NUMERIC -> r.path("value").isNumber() && q.numericAnswer() != null
                    && Math.abs(r.path("value").asDouble() - q.numericAnswer()) <= q.tolerance() + 1e-9;
            case SHORT_ANSWER -> {
                String given = QuestionChecks.normalize(r.path("text").asText(""));
                yield !given.isEmpty() && q.keys().stream().map(Option::text).map(QuestionChecks::normalize)
                        .anyMatch(given::equals);
            }
            case ESSAY -> false;
        };
        return right ? q.points() : 0;
    }

    /** The share of a multiple-select question's points a selection earns: max(0, (right − wrong) / keys). */
    static double partialCredit(QuestionContent q, JsonNode r) {
        Set<String> keys = new HashSet<>();
        q.keys().forEach(o -> keys.add(o.id()));
        if (keys.isEmpty()) {
            return 0;
        }
        Set<String> chosen = new HashSet<>();
        r.path("selected").forEach(n -> chosen.add(n.asText()));
        int right = 0;
        int wrong = 0;
        for (String id : chosen) {
            if (keys.contains(id)) {
                right++;
            } else {
                wrong++;
            }
        }
        return Math.max(0, (double) (right - wrong) / keys.size());
    }

    /** The text of a written response ("" when none). */
    public static String text(String responseJson) {
        try {
            return Json.MAPPER.readTree(responseJson).path("text").asText("");
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** A stored response as a tree ({} when unreadable). */
    static JsonNode tree(String json) {
        try {
            JsonNode n = Json.MAPPER.readTree(json);
            return n == null ? Json.MAPPER.createObjectNode() : n;
        } catch (java.io.IOException e) {
            return Json.MAPPER.createObjectNode();
        }
    }
}

package dev.lectern.courses.exams;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Model answers in the generator's schema, built per test (grounded in the fixture's passages or not). */
final class GeneratedQuestions {
    private GeneratedQuestions() {}

    static Map<String, Object> answer(Map<String, Object>... questions) {
        return Map.of("questions", List.of(questions));
    }

    static Map<String, Object> question(String type, String stem, List<Map<String, Object>> options, Double answer,
                                        Double tolerance, String modelAnswer, String passageId, String quote) {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("type", type);
        q.put("stem", stem);
        q.put("options", options);
        q.put("numericAnswer", answer);
        q.put("tolerance", tolerance);
        q.put("modelAnswer", modelAnswer);
        q.put("explanation", "");
        q.put("citation", Map.of("passageId", passageId, "quote", quote));
        return q;
    }

    static List<Map<String, Object>> options(String... textsFirstCorrect) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < textsFirstCorrect.length; i++) {
            out.add(Map.of("id", String.valueOf((char) ('a' + i)), "text", textsFirstCorrect[i], "correct", i == 0,
                    "feedback", ""));
        }
        return out;
    }

    static Map<String, Object> photosynthesis(String passageId) {
        return question("single_choice", "Which gas do plants take up during photosynthesis?",
                options("Carbon dioxide", "Oxygen", "Nitrogen"), null, null, "", passageId,
                "Plants take up carbon dioxide (CO₂) from the air");
    }

    static Map<String, Object> integral(String passageId) {
        return question("numeric", "What is the value of ∫₀¹ 2x dx?", List.of(), 1.0, 0.01, "", passageId,
                "The integral ∫₀¹ 2x dx equals 1");
    }

    static Map<String, Object> greenhouse(String passageId) {
        return question("essay", "Explain how carbon dioxide warms the lower atmosphere.", List.of(), null, null,
                "It absorbs infrared radiation and re-emits it.", passageId,
                "absorbs infrared radiation and re-emits it");
    }

    static Map<String, Object> trueFalse(String passageId) {
        List<Map<String, Object>> tf = List.of(Map.of("id", "true", "text", "True", "correct", true, "feedback", ""),
                Map.of("id", "false", "text", "False", "correct", false, "feedback", ""));
        return question("true_false", "Plants release oxygen during photosynthesis.", tf, null, null, "", passageId,
                "release oxygen during photosynthesis");
    }
}

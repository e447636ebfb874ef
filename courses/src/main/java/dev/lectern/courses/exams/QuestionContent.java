package dev.lectern.courses.exams;

import java.util.List;

/**
 * What a lecturer edits of a question, stored as one JSON document per version.
 *
 * @param options       choices for single choice, multiple select and true/false (ids "true"/"false"); accepted
 *                      answers (all correct) for a short answer graded without a rubric; empty otherwise
 * @param numericAnswer the key of a numeric question, answers within {@code tolerance} (absolute) are right
 * @param modelAnswer   an exemplary answer for short answers and essays (shown in the answer key)
 * @param explanation   general feedback shown with released results
 * @param citation      the passage of the course's text the question tests, with the quoted span
 * @param rubricId      the rubric written answers are graded against, or null
 * @param partialCredit multiple select only: true (the default, also when absent) grades with partial credit, false
 *                      all or nothing (see {@link Responses#grade})
 */
public record QuestionContent(QuestionType type, String name, String stem, List<Option> options, Double numericAnswer,
                              Double tolerance, String modelAnswer, String explanation, double points,
                              Difficulty difficulty, Bloom bloom, String language, Citation citation,
                              String rubricId, Boolean partialCredit) {
    public QuestionContent {
        options = options == null ? List.of() : List.copyOf(options);
        name = name == null ? "" : name.strip();
        stem = stem == null ? "" : stem.strip();
        modelAnswer = modelAnswer == null ? "" : modelAnswer;
        explanation = explanation == null ? "" : explanation;
        difficulty = difficulty == null ? Difficulty.MEDIUM : difficulty;
        bloom = bloom == null ? Bloom.UNDERSTAND : bloom;
        language = language == null || language.isBlank() ? "en" : language.strip();
        partialCredit = partialCredit == null || partialCredit;
    }

    /** A question with the default scoring (partial credit for multiple select). */
    public QuestionContent(QuestionType type, String name, String stem, List<Option> options, Double numericAnswer,
                           Double tolerance, String modelAnswer, String explanation, double points,
                           Difficulty difficulty, Bloom bloom, String language, Citation citation, String rubricId) {
        this(type, name, stem, options, numericAnswer, tolerance, modelAnswer, explanation, points, difficulty, bloom,
                language, citation, rubricId, null);
    }

    /** One choice: its stable id, text, whether it is a key, and feedback shown when chosen. */
    public record Option(String id, String text, boolean correct, String feedback) {
        public Option {
            feedback = feedback == null ? "" : feedback;
        }
    }

    /** Where in the course the question comes from: a passage id and a verbatim span of that passage. */
    public record Citation(String passageId, String quote) {}

    public List<Option> keys() {
        return options.stream().filter(Option::correct).toList();
    }

    public QuestionContent withRubric(String id) {
        return new QuestionContent(type, name, stem, options, numericAnswer, tolerance, modelAnswer, explanation,
                points, difficulty, bloom, language, citation, id, partialCredit);
    }
}

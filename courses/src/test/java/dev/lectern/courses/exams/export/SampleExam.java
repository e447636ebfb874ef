package dev.lectern.courses.exams.export;

import dev.lectern.courses.exams.Bloom;
import dev.lectern.courses.exams.Difficulty;
import dev.lectern.courses.exams.Question;
import dev.lectern.courses.exams.QuestionContent;
import dev.lectern.courses.exams.QuestionContent.Citation;
import dev.lectern.courses.exams.QuestionContent.Option;
import dev.lectern.courses.exams.QuestionType;
import java.util.List;

/** Questions for export tests: Moodle's own test questions, and a six-type chemistry exam with Unicode. */
final class SampleExam {
    private SampleExam() {}

    static Question q(String id, QuestionType type, String name, String stem, List<Option> options, Double answer,
                      Double tolerance, String modelAnswer, String explanation, double points) {
        return new Question(id, "course-1", Question.APPROVED, 1, new QuestionContent(type, name, stem, options, answer,
                tolerance, modelAnswer, explanation, points, Difficulty.MEDIUM, Bloom.UNDERSTAND, "en", null, null),
                "lecturer", 0, 0);
    }

    static Option o(String id, String text, boolean correct, String feedback) {
        return new Option(id, text, correct, feedback);
    }

    /** Six questions, one per type, with "CO₂", "∫" and accented names in them. */
    static List<Question> chemistry() {
        Question single = q("q1", QuestionType.SINGLE_CHOICE, "", "Which gas do plants take up for photosynthesis?",
                List.of(o("a", "O₂", false, ""), o("b", "CO₂", true, "Right: carbon dioxide."),
                        o("c", "N₂", false, "")), null, null, "", "Plants fix CO₂ from the air.", 1);
        Question multi = q("q2", QuestionType.MULTIPLE_SELECT, "", "Which of these are noble gases?",
                List.of(o("a", "Neon", true, ""), o("b", "Argon", true, ""), o("c", "Chlorine", false, ""),
                        o("d", "Oxygen", false, "")), null, null, "", "", 2);
        Question tf = q("q3", QuestionType.TRUE_FALSE, "", "Zoë Ångström's sample of CO₂ is a liquid at 20 °C and "
                        + "1 atm.", List.of(o("true", "True", false, ""), o("false", "False", true, "It sublimes.")),
                null, null, "", "", 1);
        Question numeric = q("q4", QuestionType.NUMERIC, "", "Compute ∫₀¹ 2x dx.", List.of(), 1.0, 0.01, "", "", 1);
        Question shortAnswer = q("q5", QuestionType.SHORT_ANSWER, "", "Name the element with symbol Na.",
                List.of(o("a", "Sodium", true, "Yes."), o("b", "Natrium", true, "")), null, null, "", "", 2);
        Question essay = new Question("q6", "course-1", Question.APPROVED, 1, new QuestionContent(QuestionType.ESSAY, "",
                "Explain why CO₂ is a greenhouse gas, in your own words.", List.of(), null, null,
                "It absorbs infrared radiation & re-emits it.", "", 5, Difficulty.HARD, Bloom.EVALUATE,
                "en", new Citation("p1", "carbon dioxide absorbs infrared radiation"), "rubric-1"), "lecturer", 0, 0);
        return List.of(single, multi, tf, numeric, shortAnswer, essay);
    }
}

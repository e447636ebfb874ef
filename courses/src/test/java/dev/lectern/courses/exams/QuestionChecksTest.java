package dev.lectern.courses.exams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.courses.exams.QuestionContent.Option;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuestionChecksTest {
    static QuestionContent choice(QuestionType type, Option... options) {
        return new QuestionContent(type, "", "Which of these holds?", List.of(options), null, null, "", "", 1, null,
                null, "en", null, null);
    }

    @Test
    void choicesMustBeDistinctWithTheRightNumberOfKeys() {
        assertThat(QuestionChecks.check(choice(QuestionType.SINGLE_CHOICE, new Option("a", "Yes", true, ""),
                new Option("b", "No", false, "")))).isEmpty();
        assertThat(QuestionChecks.check(choice(QuestionType.SINGLE_CHOICE, new Option("a", "Yes", true, ""),
                new Option("b", "No", true, "")))).containsExactly("options: exactly one option must be correct "
                + "(found 2)");
        assertThat(QuestionChecks.check(choice(QuestionType.MULTIPLE_SELECT, new Option("a", "Yes", false, ""),
                new Option("b", "No", false, "")))).containsExactly("options: multiple select needs at least one "
                + "correct option");
        assertThat(QuestionChecks.check(choice(QuestionType.SINGLE_CHOICE, new Option("a", "Café", true, ""),
                new Option("b", " cafe ", false, "")))).singleElement().asString().contains("appears twice");
        assertThat(QuestionChecks.check(choice(QuestionType.TRUE_FALSE, new Option("yes", "Yes", true, ""),
                new Option("no", "No", false, "")))).singleElement().asString().contains("\"true\" and \"false\"");
    }

    @Test
    void noAllOrNoneOfTheAboveKeys() {
        for (String text : List.of("All of the above", "None of these", "Both of the above", "none of the options "
                + "are wrong", "All are correct")) {
            assertThat(QuestionChecks.check(choice(QuestionType.SINGLE_CHOICE, new Option("a", text, true, ""),
                    new Option("b", "Something", false, "")))).as(text).singleElement().asString()
                    .contains("all/none-of-the-above");
        }
        // as a distractor it is allowed
        assertThat(QuestionChecks.check(choice(QuestionType.SINGLE_CHOICE, new Option("a", "Water", true, ""),
                new Option("b", "All of the above", false, "")))).isEmpty();
    }

    @Test
    void numericNeedsAKeyAndASensibleTolerance() {
        QuestionContent ok = new QuestionContent(QuestionType.NUMERIC, "", "g?", List.of(), 9.81, 0.05, "", "", 1, null,
                null, "en", null, null);
        assertThat(QuestionChecks.check(ok)).isEmpty();
        assertThat(QuestionChecks.check(new QuestionContent(QuestionType.NUMERIC, "", "g?", List.of(), 9.81, 6.0, "",
                "", 1, null, null, "en", null, null))).singleElement().asString().contains("too wide");
        assertThat(QuestionChecks.check(new QuestionContent(QuestionType.NUMERIC, "", "g?", List.of(), null, -1.0, "",
                "", 1, null, null, "en", null, null))).hasSize(2);
    }

    @Test
    void nearDuplicatesAndQuotes() {
        assertThat(QuestionChecks.nearDuplicate("Which gas do plants take up during photosynthesis?",
                List.of("Which gas do plants take up in photosynthesis?"))).isTrue();
        assertThat(QuestionChecks.nearDuplicate("Which gas do plants release during photosynthesis?",
                List.of("What is the integral of 2x from 0 to 1?"))).isFalse();
        assertThat(QuestionChecks.quoted("carbon dioxide  (CO₂)", "Plants take up Carbon dioxide (CO₂) from the air"))
                .isTrue();
        assertThat(QuestionChecks.quoted("carbon", "carbon dioxide")).isFalse(); // too short to prove anything
        assertThat(QuestionChecks.quoted("nitrogen from the air", "Plants take up carbon dioxide from the air"))
                .isFalse();
    }
}

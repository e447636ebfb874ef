package dev.lectern.courses.exams.export;

import static dev.lectern.courses.exams.export.SampleExam.o;
import static dev.lectern.courses.exams.export.SampleExam.q;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.courses.exams.QuestionType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GIFT against Moodle's own export vectors (question/format/gift/tests/giftformat_test.php @3d51aed). "Exact" vectors
 * are Moodle's strings byte for byte; "adapted" ones drop only what Lectern's model does not hold (per-answer text
 * formats such as [html], partial-credit answers, a wildcard wrong answer), which the comment of each names.
 */
class GiftWriterTest {
    @Test
    void exactEssay() {
        assertThat(GiftWriter.question(q("666", QuestionType.ESSAY, "Q8", "How are you?", List.of(), null, null, "", "",
                1), 1)).isEqualTo("// question: 666  name: Q8\n::Q8::How are you?{}\n\n");
    }

    @Test
    void exactMultichoiceMultiTricky() {
        String expected = "// question: 666  name: Q8\n"
                + "::Q8::What's between orange and green in the spectrum?{\n"
                + "\t~%100%yellow#right; good!\n"
                + "\t~%-50%red#wrong, it's yellow\n"
                + "\t~%-50%blue#wrong, it's yellow\n"
                + "}\n\n";
        assertThat(GiftWriter.question(q("666", QuestionType.MULTIPLE_SELECT, "Q8",
                "What's between orange and green in the spectrum?", List.of(o("a", "yellow", true, "right; good!"),
                        o("b", "red", false, "wrong, it's yellow"), o("c", "blue", false, "wrong, it's yellow")), null,
                null, "", "", 1), 1)).isEqualTo(expected);
    }

    @Test
    void exactBackslash() {
        assertThat(GiftWriter.question(q("666", QuestionType.ESSAY, "backslash", "A \\ B \\\\ C", List.of(), null, null,
                "", "", 1), 1)).isEqualTo("// question: 666  name: backslash\n::backslash::A \\\\ B \\\\\\\\ C{}\n\n");
    }

    @Test
    void adaptedMultichoiceWithoutAnswerFormats() {
        // Moodle's vector writes "~red#[html]wrong…" and "~[plain]blue#…": the [html]/[plain] format markers only
        String expected = "// question: 666  name: Q8\n"
                + "::Q8::What's between orange and green in the spectrum?{\n"
                + "\t=yellow#right; good!\n"
                + "\t~red#wrong, it's yellow\n"
                + "\t~blue#wrong, it's yellow\n"
                + "}\n\n";
        assertThat(GiftWriter.question(q("666", QuestionType.SINGLE_CHOICE, "Q8",
                "What's between orange and green in the spectrum?", List.of(o("a", "yellow", true, "right; good!"),
                        o("b", "red", false, "wrong, it's yellow"), o("c", "blue", false, "wrong, it's yellow")), null,
                null, "", "", 1), 1)).isEqualTo(expected);
    }

    @Test
    void adaptedTrueFalseAndNumericalAndShortAnswer() {
        // Moodle's true/false vector marks the feedback [html]; the numerical one adds a "~#Completely wrong" answer;
        // the short-answer one adds a 50 % "Cat" and marks the general feedback [html]
        assertThat(GiftWriter.question(q("666", QuestionType.TRUE_FALSE, "Q1",
                "42 is the Absolute Answer to everything.", List.of(o("true", "True", true, "You gave the right answer."),
                        o("false", "False", false, "42 is the Ultimate Answer.")), null, null, "", "", 1), 1))
                .isEqualTo("// question: 666  name: Q1\n::Q1::42 is the Absolute Answer to everything.{TRUE#42 is the "
                        + "Ultimate Answer.#You gave the right answer.}\n\n");
        assertThat(GiftWriter.question(q("666", QuestionType.NUMERIC, "Q5", "What is a number from 1 to 5?", List.of(),
                3.0, 2.0, "", "", 1), 1))
                .isEqualTo("// question: 666  name: Q5\n::Q5::What is a number from 1 to 5?{#\n\t=%100%3:2#\n}\n\n");
        assertThat(GiftWriter.question(q("666", QuestionType.SHORT_ANSWER, "Shortanswer", "Which is the best animal?",
                List.of(o("a", "Frog", true, "Good!"), o("b", "*", false, "Completely wrong")), null, null, "",
                "Here is some general feedback!", 1), 1))
                .isEqualTo("// question: 666  name: Shortanswer\n::Shortanswer::Which is the best animal?{\n"
                        + "\t=%100%Frog#Good!\n\t=%0%*#Completely wrong\n\t####Here is some general feedback!\n}\n\n");
    }

    @Test
    void reservedCharactersAreEscaped() {
        assertThat(GiftWriter.escape("a~b=c#d{e}f:g\\h\nend")).isEqualTo("a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h\\nend");
    }

    @Test
    void theSampleExamMatchesItsGoldenFile() throws IOException {
        assertThat(GiftWriter.write(SampleExam.chemistry())).isEqualTo(golden("chemistry.gift"));
    }

    static String golden(String name) throws IOException {
        try (InputStream in = GiftWriterTest.class.getResourceAsStream("/exams/golden/" + name)) {
            assertThat(in).as("golden file " + name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

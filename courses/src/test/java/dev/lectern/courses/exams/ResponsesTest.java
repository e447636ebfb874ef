package dev.lectern.courses.exams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.courses.exams.QuestionContent.Option;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Responses are checked against their question and objective ones graded exactly. */
class ResponsesTest {
    static QuestionContent q(QuestionType type, List<Option> options, Double answer, Double tolerance) {
        return new QuestionContent(type, "", "Stem of the question?", options, answer, tolerance, "", "", 2, null, null,
                "en", null, null);
    }

    static JsonNode json(String s) throws Exception {
        return Json.MAPPER.readTree(s);
    }

    static double grade(QuestionContent q, String response) throws Exception {
        return Responses.grade(q, Responses.check(q, json(response)));
    }

    final QuestionContent multi = q(QuestionType.MULTIPLE_SELECT, List.of(new Option("a", "Neon", true, ""),
            new Option("b", "Argon", true, ""), new Option("c", "Chlorine", false, "")), null, null);

    @Test
    void multipleSelectNeedsExactlyTheKeys() throws Exception {
        assertThat(grade(multi, "{\"selected\":[\"b\",\"a\"]}")).isEqualTo(2);
        assertThat(grade(multi, "{\"selected\":[\"a\"]}")).isZero();
        assertThat(grade(multi, "{\"selected\":[\"a\",\"b\",\"c\"]}")).isZero();
        assertThat(grade(multi, "{}")).isZero();
        assertThatThrownBy(() -> Responses.check(multi, json("{\"selected\":[\"a\",\"a\"]}")))
                .isInstanceOf(ServiceException.class);
        assertThatThrownBy(() -> Responses.check(multi, json("{\"selected\":[\"z\"]}")))
                .isInstanceOf(ServiceException.class);
    }

    @Test
    void numericWithinTheToleranceInclusive() throws Exception {
        QuestionContent n = q(QuestionType.NUMERIC, List.of(), 9.81, 0.05);
        assertThat(grade(n, "{\"value\":9.86}")).isEqualTo(2);
        assertThat(grade(n, "{\"value\":9.76}")).isEqualTo(2);
        assertThat(grade(n, "{\"value\":9.87}")).isZero();
        assertThat(grade(n, "{\"value\":null}")).isZero();
        assertThatThrownBy(() -> Responses.check(n, json("{\"value\":\"9.81\"}"))).isInstanceOf(ServiceException.class);
    }

    @Test
    void shortAnswersMatchAcceptedAnswersIgnoringCaseAccentsAndSpaces() throws Exception {
        QuestionContent s = q(QuestionType.SHORT_ANSWER, List.of(new Option("a", "Ångström", true, ""),
                new Option("b", "*", false, "")), null, null);
        assertThat(grade(s, "{\"text\":\"  angstrom \"}")).isEqualTo(2);
        assertThat(grade(s, "{\"text\":\"*\"}")).isZero(); // a wrong option is never a key
        assertThatThrownBy(() -> Responses.check(s, json("{\"text\":\"" + "x".repeat(2001) + "\"}")))
                .isInstanceOf(ServiceException.class);
        assertThat(Responses.byRubric(s)).isFalse();
        assertThat(Responses.byRubric(s.withRubric("r1"))).isTrue();
    }
}

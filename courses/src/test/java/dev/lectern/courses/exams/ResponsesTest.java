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
    void multipleSelectGetsPartialCreditByCanvasRule() throws Exception {
        // 2 points, keys a and b: points x max(0, (right - wrong) / keys)
        assertThat(grade(multi, "{\"selected\":[\"b\",\"a\"]}")).isEqualTo(2);
        assertThat(grade(multi, "{\"selected\":[\"a\"]}")).isEqualTo(1);
        assertThat(grade(multi, "{\"selected\":[\"a\",\"b\",\"c\"]}")).isEqualTo(1);
        assertThat(grade(multi, "{\"selected\":[\"a\",\"c\"]}")).isZero();
        assertThat(grade(multi, "{\"selected\":[\"c\"]}")).as("never below 0").isZero();
        assertThat(grade(multi, "{}")).isZero();
        QuestionContent three = q(QuestionType.MULTIPLE_SELECT, List.of(new Option("a", "H", true, ""),
                new Option("b", "He", true, ""), new Option("c", "Li", true, ""), new Option("d", "Fe", false, "")),
                null, null);
        assertThat(grade(three, "{\"selected\":[\"a\",\"b\"]}")).isEqualTo(1.3333); // 2 x 2/3, 4 decimals
        assertThatThrownBy(() -> Responses.check(multi, json("{\"selected\":[\"a\",\"a\"]}")))
                .isInstanceOf(ServiceException.class);
        assertThatThrownBy(() -> Responses.check(multi, json("{\"selected\":[\"z\"]}")))
                .isInstanceOf(ServiceException.class);
    }

    @Test
    void multipleSelectAllOrNothingWhenTheQuestionSaysSo() throws Exception {
        QuestionContent strict = Json.MAPPER.treeToValue(((com.fasterxml.jackson.databind.node.ObjectNode)
                Json.MAPPER.valueToTree(multi)).put("partialCredit", false), QuestionContent.class);
        assertThat(strict.partialCredit()).isFalse();
        assertThat(grade(strict, "{\"selected\":[\"b\",\"a\"]}")).isEqualTo(2);
        assertThat(grade(strict, "{\"selected\":[\"a\"]}")).isZero();
        assertThat(grade(strict, "{\"selected\":[\"a\",\"b\",\"c\"]}")).isZero();
        // a stored version written before the switch existed reads as partial credit
        com.fasterxml.jackson.databind.node.ObjectNode old = Json.MAPPER.valueToTree(multi);
        old.remove("partialCredit");
        assertThat(Json.MAPPER.treeToValue(old, QuestionContent.class).partialCredit()).isTrue();
        // single choice is never partial
        QuestionContent single = q(QuestionType.SINGLE_CHOICE, List.of(new Option("a", "Neon", true, ""),
                new Option("b", "Argon", false, "")), null, null);
        assertThat(grade(single, "{\"selected\":[\"b\"]}")).isZero();
        assertThat(grade(single, "{\"selected\":[\"a\"]}")).isEqualTo(2);
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

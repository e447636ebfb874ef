package dev.lectern.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import org.junit.jupiter.api.Test;

class JsonTest {
    record Body(String title, int count, boolean flag) {}

    @Test
    void wrongScalarTypesAreRefusedNotCoerced() {
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"title\":5,\"count\":1,\"flag\":true}", Body.class))
                .isInstanceOf(MismatchedInputException.class);
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"title\":true,\"count\":1,\"flag\":true}", Body.class))
                .isInstanceOf(MismatchedInputException.class);
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"title\":\"a\",\"count\":\"1\",\"flag\":true}", Body.class))
                .isInstanceOf(MismatchedInputException.class);
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"title\":\"a\",\"count\":1,\"flag\":\"true\"}", Body.class))
                .isInstanceOf(MismatchedInputException.class);
    }

    @Test
    void unknownFieldsTrailingTokensAndDeepNestingAreRefused() {
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"title\":\"a\",\"count\":1,\"flag\":true,\"x\":1}", Body.class))
                .isInstanceOf(UnrecognizedPropertyException.class);
        assertThatThrownBy(() -> Json.MAPPER.readTree("{} {}")).isInstanceOf(Exception.class);
        assertThatThrownBy(() -> Json.MAPPER.readTree("[".repeat(100) + "]".repeat(100))).isInstanceOf(Exception.class);
    }

    @Test
    void goodInputBinds() throws Exception {
        assertThat(Json.MAPPER.readValue("{\"title\":\"a\",\"count\":1,\"flag\":true}", Body.class))
                .isEqualTo(new Body("a", 1, true));
    }
}

package dev.lectern.courses.exams;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.lectern.core.error.ServiceException;
import java.util.Locale;

/** The question types, with their wire names; the first four are graded exactly, the last two by rubric. */
public enum QuestionType {
    SINGLE_CHOICE, MULTIPLE_SELECT, TRUE_FALSE, NUMERIC, SHORT_ANSWER, ESSAY;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean hasOptions() {
        return this == SINGLE_CHOICE || this == MULTIPLE_SELECT || this == TRUE_FALSE;
    }

    /** Short answers and essays: written text, graded against a rubric (or, for short answers, accepted answers). */
    public boolean isWritten() {
        return this == SHORT_ANSWER || this == ESSAY;
    }

    @JsonCreator
    public static QuestionType parse(String s) {
        for (QuestionType t : values()) {
            if (t.wire().equals(s)) {
                return t;
            }
        }
        throw ServiceException.badRequest("unknown question type '" + s + "' (single_choice, multiple_select, "
                + "true_false, numeric, short_answer, essay)");
    }
}

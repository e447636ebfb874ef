package dev.lectern.courses.exams;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.lectern.core.error.ServiceException;
import java.util.Locale;

/** How hard a question is meant to be. */
public enum Difficulty {
    EASY, MEDIUM, HARD;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Difficulty parse(String s) {
        for (Difficulty d : values()) {
            if (d.wire().equals(s)) {
                return d;
            }
        }
        throw ServiceException.badRequest("unknown difficulty '" + s + "' (easy, medium, hard)");
    }
}

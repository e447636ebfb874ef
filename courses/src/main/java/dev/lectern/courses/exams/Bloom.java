package dev.lectern.courses.exams;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.lectern.core.error.ServiceException;
import java.util.Locale;

/** The revised Bloom taxonomy's cognitive levels, lowest first. */
public enum Bloom {
    REMEMBER, UNDERSTAND, APPLY, ANALYZE, EVALUATE, CREATE;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Bloom parse(String s) {
        for (Bloom b : values()) {
            if (b.wire().equals(s)) {
                return b;
            }
        }
        throw ServiceException.badRequest("unknown Bloom level '" + s + "' (remember, understand, apply, analyze, "
                + "evaluate, create)");
    }
}

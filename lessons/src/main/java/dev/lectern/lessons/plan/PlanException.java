package dev.lectern.lessons.plan;

import java.util.List;

/**
 * A lesson could not be planned. {@code code} is stable and machine-readable: {@code model_not_configured},
 * {@code plan_invalid} (the model's plan failed validation twice; {@link #details()} lists why), {@code invalid_scenes}
 * (a caller's own scenes failed validation), {@code invalid_request}, {@code plan_timeout}, {@code model_error},
 * {@code cancelled}. The message and details are safe to show to the user.
 */
public final class PlanException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final transient List<String> details;

    public PlanException(String code, String message, List<String> details) {
        super(message, null, false, false);
        this.code = code;
        this.details = List.copyOf(details);
    }

    public PlanException(String code, String message) {
        this(code, message, List.of());
    }

    public String code() {
        return code;
    }

    /** The validation errors, one per line, each naming the JSON path it is about. */
    public List<String> details() {
        return details;
    }
}

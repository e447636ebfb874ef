package dev.lectern.lessons.plan;

import dev.lectern.core.error.ServiceException;
import java.util.List;

/**
 * A lesson could not be planned. {@code code} is stable and machine-readable: {@code model_not_configured},
 * {@code plan_invalid} (the model's plan failed validation twice; {@link #details()} lists why), {@code invalid_scenes}
 * (a caller's own scenes failed validation), {@code invalid_request}, {@code plan_timeout}, {@code model_error},
 * {@code cancelled}. The message and details are safe to show to the user. As the kernel's service error it carries
 * the status an HTTP caller answers with: 400 for the caller's own input, 503 without a model, 504 on timeout, 502
 * for a model that failed or kept answering invalid plans, 409 when cancelled.
 */
public final class PlanException extends ServiceException {
    private static final long serialVersionUID = 1L;

    private final transient List<String> details;

    public PlanException(String code, String message, List<String> details) {
        super(status(code), code, message);
        this.details = List.copyOf(details);
    }

    public PlanException(String code, String message) {
        this(code, message, List.of());
    }

    private static int status(String code) {
        return switch (code) {
            case "invalid_request", "invalid_scenes" -> 400;
            case "model_not_configured" -> 503;
            case "plan_timeout" -> 504;
            case "cancelled" -> 409;
            default -> 502;
        };
    }

    /** The validation errors, one per line, each naming the JSON path it is about. */
    public List<String> details() {
        return details;
    }
}

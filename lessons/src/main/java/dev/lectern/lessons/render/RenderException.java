package dev.lectern.lessons.render;

import dev.lectern.core.error.ServiceException;
import dev.lectern.lessons.plan.Cancellation;

/**
 * A scene or a lesson could not be rendered. {@code code} is stable and machine-readable: {@code ffmpeg_not_found},
 * {@code ffmpeg_unsupported} (no libx264 or AAC encoder), {@code ffmpeg_failed}, {@code render_timeout},
 * {@code cancelled}, {@code tts_not_configured}, {@code tts_failed}, {@code invalid_voice}, {@code render_io}. The
 * message is safe to show to the user (it names no temporary paths). As the kernel's service error: 503 when a tool
 * or provider is missing, 400 for a bad voice, 409 when cancelled, 504 on timeout, else 500.
 */
public final class RenderException extends ServiceException {
    private static final long serialVersionUID = 1L;

    public RenderException(String code, String message) {
        super(status(code), code, message);
    }

    private static int status(String code) {
        return switch (code) {
            case "ffmpeg_not_found", "ffmpeg_unsupported", "tts_not_configured" -> 503;
            case "invalid_voice" -> 400;
            case "cancelled" -> 409;
            case "render_timeout" -> 504;
            default -> 500;
        };
    }

    static RenderException cancelled() {
        return new RenderException("cancelled", "the render was cancelled");
    }

    /** Throws {@code cancelled} when the work was cancelled. */
    static void throwIfCancelled(Cancellation cancel) {
        if (cancel.isCancelled()) {
            throw cancelled();
        }
    }
}

package dev.lectern.lessons.render;

/**
 * A scene or a lesson could not be rendered. {@code code} is stable and machine-readable: {@code ffmpeg_not_found},
 * {@code ffmpeg_unsupported} (no libx264 or AAC encoder), {@code ffmpeg_failed}, {@code render_timeout},
 * {@code cancelled}, {@code tts_not_configured}, {@code tts_failed}, {@code invalid_voice}, {@code render_io}. The
 * message is safe to show to the user (it names no temporary paths).
 */
public final class RenderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;

    public RenderException(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public RenderException(String code, String message, Throwable cause) {
        super(message, cause, false, false);
        this.code = code;
    }

    public String code() {
        return code;
    }

    static RenderException cancelled() {
        return new RenderException("cancelled", "the render was cancelled");
    }
}

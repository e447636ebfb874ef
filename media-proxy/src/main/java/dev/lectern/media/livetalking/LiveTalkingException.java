package dev.lectern.media.livetalking;

/**
 * A LiveTalking call that failed: an HTTP error status, an unreadable answer, or (most often) the HTTP 200
 * {@code {"code":-1,"msg":…}} envelope LiveTalking uses for every refusal. {@link #avatarMessage()} is the avatar's
 * own {@code msg}, for logs; {@link #getMessage()} is safe to show users.
 */
public final class LiveTalkingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, so callers can pick a status: a refusal, an HTTP error, or a broken answer. */
    public enum Reason { REFUSED, HTTP_ERROR, MALFORMED, UNREACHABLE }

    private final Reason reason;
    private final int httpStatus;
    private final String avatarMessage;

    public LiveTalkingException(Reason reason, int httpStatus, String message, String avatarMessage, Throwable cause) {
        super(message, cause, false, false);
        this.reason = reason;
        this.httpStatus = httpStatus;
        this.avatarMessage = avatarMessage;
    }

    public Reason reason() {
        return reason;
    }

    /** The avatar's HTTP status (200 for a {@code code:-1} refusal), or 0 when it did not answer. */
    public int httpStatus() {
        return httpStatus;
    }

    public String avatarMessage() {
        return avatarMessage;
    }
}

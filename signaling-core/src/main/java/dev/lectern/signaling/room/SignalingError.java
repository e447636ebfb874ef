package dev.lectern.signaling.room;

/** A refused signaling request: the client gets {@code error {code, message}} and nothing is relayed. */
public final class SignalingError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String code;

    public SignalingError(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public String code() {
        return code;
    }
}

package dev.lectern.jobs.webhook;

/** The check a signed request failed, for the 401 that says which. */
public enum SignatureCheck {
    NO_SECRET("signed calls are not configured on this server (no webhook secret)"),
    MISSING_SIGNATURE("no X-Webhook-Signature or webhook-signature header"),
    MALFORMED_SIGNATURE("the signature header is not sha256=<hex> or v1,<base64>"),
    MISSING_ID("webhook-id header missing or too long"),
    MISSING_TIMESTAMP("no timestamp (webhook-timestamp header, or a numeric \"timestamp\" in the body)"),
    TIMESTAMP_OUT_OF_TOLERANCE("timestamp too far from the server's clock"),
    SIGNATURE_MISMATCH("signature does not match the body");

    private final String message;

    SignatureCheck(String message) {
        this.message = message;
    }

    public String message() {
        return message;
    }

    /** A stable snake_case code for error bodies. */
    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

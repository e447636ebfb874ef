package dev.lectern.jobs.webhook;

/**
 * The verdict on a signed request: valid with the scheme it used and its delivery id (the replay key: the
 * {@code webhook-id}, or {@code sha256:<hex of the body>} for the seed's scheme), or the check it failed.
 */
public record Verification(boolean valid, SignatureCheck failed, String scheme, String deliveryId) {
    public static final String SEED = "x-webhook-signature";
    public static final String STANDARD = "standard-webhooks";

    static Verification ok(String scheme, String deliveryId) {
        return new Verification(true, null, scheme, deliveryId);
    }

    static Verification fail(SignatureCheck check, String scheme) {
        return new Verification(false, check, scheme, null);
    }
}

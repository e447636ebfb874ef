package dev.lectern.jobs.webhook;

import java.util.HexFormat;

/**
 * The seed's scheme (GitHub's): {@code X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>}. It signs no
 * timestamp of its own; the body's {@code timestamp} field, covered by the HMAC, bounds a replay.
 */
public final class SeedSignature {
    public static final String HEADER = "x-webhook-signature";
    private static final String PREFIX = "sha256=";

    private SeedSignature() {}

    public static String sign(byte[] secret, byte[] body) {
        return PREFIX + HexFormat.of().formatHex(Hmac.sha256(secret, body));
    }

    /** The MAC in the header, or null when it is not {@code sha256=} and 64 hex digits. */
    static byte[] parse(String header) {
        String h = header.trim();
        if (!h.regionMatches(true, 0, PREFIX, 0, PREFIX.length()) || h.length() != PREFIX.length() + 64) {
            return null;
        }
        try {
            return HexFormat.of().parseHex(h.substring(PREFIX.length()).toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

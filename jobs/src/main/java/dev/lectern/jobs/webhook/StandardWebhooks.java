package dev.lectern.jobs.webhook;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Standard Webhooks 1.0 signing: {@code webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>},
 * several space-separated during a key rotation. The key is the base64 after {@code whsec_} (as the reference
 * libraries read it).
 */
public final class StandardWebhooks {
    public static final String ID = "webhook-id";
    public static final String TIMESTAMP = "webhook-timestamp";
    public static final String SIGNATURE = "webhook-signature";
    private static final String PREFIX = "whsec_";

    private StandardWebhooks() {}

    /** The HMAC key of a secret: base64-decoded after an optional {@code whsec_} prefix. */
    public static byte[] key(String secret) {
        String s = secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret;
        return Base64.getDecoder().decode(s);
    }

    /** The key of an inbound secret: as {@link #key} when it is valid base64, else its UTF-8 bytes. */
    static byte[] lenientKey(String secret) {
        try {
            byte[] k = key(secret);
            return k.length == 0 ? secret.getBytes(StandardCharsets.UTF_8) : k;
        } catch (IllegalArgumentException e) {
            return secret.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** The {@code v1,<base64>} signature of one message. */
    public static String sign(byte[] key, String id, long timestampSeconds, byte[] body) {
        byte[] mac = Hmac.sha256(key, (id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8), body);
        return "v1," + Base64.getEncoder().encodeToString(mac);
    }

    /** True when one of the space-separated {@code v1,} signatures in the header matches. */
    static boolean matches(byte[] key, String id, long timestampSeconds, byte[] body, String header) {
        byte[] expected = sign(key, id, timestampSeconds, body).getBytes(StandardCharsets.US_ASCII);
        boolean any = false;
        for (String candidate : header.trim().split(" +")) {
            // compare every candidate, so the time does not say which one matched
            any |= Hmac.equal(expected, candidate.getBytes(StandardCharsets.US_ASCII));
        }
        return any;
    }

    /** A header with at least one well-formed {@code v1,<base64>} entry. */
    static boolean wellFormed(String header) {
        for (String candidate : header.trim().split(" +")) {
            if (candidate.startsWith("v1,") && candidate.length() > 3) {
                try {
                    Base64.getDecoder().decode(candidate.substring(3));
                    return true;
                } catch (IllegalArgumentException e) {
                    // try the next
                }
            }
        }
        return false;
    }
}

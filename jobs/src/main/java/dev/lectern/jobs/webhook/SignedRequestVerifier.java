package dev.lectern.jobs.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Checks service-to-service calls, before their body is parsed. Standard Webhooks headers win when present; otherwise
 * the seed's {@code X-Webhook-Signature}, whose body must carry a {@code timestamp} (Unix seconds, or milliseconds as
 * JavaScript's {@code Date.now()} gives). Up to two secrets are tried (current and previous, during a rotation); every
 * comparison is constant-time; a timestamp more than the tolerance away from now (either way) is refused.
 */
public final class SignedRequestVerifier {
    private static final int MAX_ID_CHARS = 200;

    private final List<String> secrets;
    private final long toleranceSeconds;
    private final LongSupplier clockMillis;

    public SignedRequestVerifier(List<String> secrets, long toleranceSeconds, LongSupplier clockMillis) {
        this.secrets = List.copyOf(secrets);
        this.toleranceSeconds = toleranceSeconds;
        this.clockMillis = clockMillis;
    }

    /** Whether any secret is configured (without one every signed call is refused). */
    public boolean configured() {
        return !secrets.isEmpty();
    }

    /**
     * @param header looks a request header up by its lower-case name (null when absent)
     * @param body the raw body bytes, exactly as received
     */
    public Verification verify(Function<String, String> header, byte[] body) {
        String standard = header.apply(StandardWebhooks.SIGNATURE);
        if (standard != null) {
            return verifyStandard(header, body, standard);
        }
        String seed = header.apply(SeedSignature.HEADER);
        if (seed != null) {
            return verifySeed(seed, body);
        }
        return Verification.fail(secrets.isEmpty() ? SignatureCheck.NO_SECRET : SignatureCheck.MISSING_SIGNATURE,
                null);
    }

    private Verification verifyStandard(Function<String, String> header, byte[] body, String signature) {
        String scheme = Verification.STANDARD;
        if (secrets.isEmpty()) {
            return Verification.fail(SignatureCheck.NO_SECRET, scheme);
        }
        String id = header.apply(StandardWebhooks.ID);
        if (id == null || id.isBlank() || id.length() > MAX_ID_CHARS) {
            return Verification.fail(SignatureCheck.MISSING_ID, scheme);
        }
        String ts = header.apply(StandardWebhooks.TIMESTAMP);
        long seconds;
        try {
            seconds = Long.parseLong(ts == null ? "" : ts.trim());
        } catch (NumberFormatException e) {
            return Verification.fail(SignatureCheck.MISSING_TIMESTAMP, scheme);
        }
        if (!StandardWebhooks.wellFormed(signature)) {
            return Verification.fail(SignatureCheck.MALFORMED_SIGNATURE, scheme);
        }
        boolean match = false;
        for (String secret : secrets) {
            match |= StandardWebhooks.matches(StandardWebhooks.lenientKey(secret), id, seconds, body, signature);
        }
        if (!match) {
            return Verification.fail(SignatureCheck.SIGNATURE_MISMATCH, scheme);
        }
        if (!withinTolerance(seconds)) {
            return Verification.fail(SignatureCheck.TIMESTAMP_OUT_OF_TOLERANCE, scheme);
        }
        return Verification.ok(scheme, "whid:" + id);
    }

    private Verification verifySeed(String signature, byte[] body) {
        String scheme = Verification.SEED;
        if (secrets.isEmpty()) {
            return Verification.fail(SignatureCheck.NO_SECRET, scheme);
        }
        byte[] given = SeedSignature.parse(signature);
        if (given == null) {
            return Verification.fail(SignatureCheck.MALFORMED_SIGNATURE, scheme);
        }
        boolean match = false;
        for (String secret : secrets) {
            match |= Hmac.equal(Hmac.sha256(secret.getBytes(StandardCharsets.UTF_8), body), given);
        }
        if (!match) {
            return Verification.fail(SignatureCheck.SIGNATURE_MISMATCH, scheme);
        }
        // only now is the body known to come from a holder of the secret: parse it for its timestamp
        Long seconds = bodyTimestampSeconds(body);
        if (seconds == null) {
            return Verification.fail(SignatureCheck.MISSING_TIMESTAMP, scheme);
        }
        if (!withinTolerance(seconds)) {
            return Verification.fail(SignatureCheck.TIMESTAMP_OUT_OF_TOLERANCE, scheme);
        }
        return Verification.ok(scheme, "sha256:" + HexFormat.of().formatHex(Hmac.digest(body)));
    }

    private static Long bodyTimestampSeconds(byte[] body) {
        try {
            JsonNode ts = Json.MAPPER.readTree(body).get("timestamp");
            if (ts == null || !ts.isNumber()) {
                return null;
            }
            long v = ts.asLong();
            return v > 100_000_000_000L ? v / 1000 : v; // milliseconds (Date.now()) or seconds
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private boolean withinTolerance(long seconds) {
        long now = clockMillis.getAsLong() / 1000;
        return seconds >= now - toleranceSeconds && seconds <= now + toleranceSeconds;
    }

    /** The secrets in the order given, skipping blanks; for wiring from environment variables. */
    public static List<String> secrets(String... values) {
        List<String> out = new ArrayList<>();
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                out.add(v);
            }
        }
        return out;
    }
}

package dev.lectern.core.objects;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs object URLs: {@code sig = base64url(HMAC-SHA256(key, objectKey + "\n" + expires))}, {@code expires} in unix
 * seconds. Verification is constant-time and checks expiry against the given clock.
 */
public final class UrlSigner {
    private final SecretKeySpec key;
    /** A MAC per thread, keyed once: looking up the provider and keying it cost more than the hash of a short URL. */
    private final ThreadLocal<Mac> macs;

    public UrlSigner(byte[] secret) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("the URL-signing key must be at least 16 bytes");
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    public String sign(String objectKey, long expiresEpochSeconds) {
        // doFinal leaves the MAC reset and keyed for the next one
        byte[] sig = macs.get().doFinal((objectKey + "\n" + expiresEpochSeconds).getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    }

    /** What a presented URL amounts to. */
    public enum Verdict { VALID, BAD_SIGNATURE, EXPIRED }

    public Verdict verify(String objectKey, String expires, String signature, long nowEpochSeconds) {
        long exp;
        try {
            exp = Long.parseLong(expires);
        } catch (NumberFormatException | NullPointerException e) {
            return Verdict.BAD_SIGNATURE;
        }
        if (signature == null) {
            return Verdict.BAD_SIGNATURE;
        }
        byte[] expected = sign(objectKey, exp).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII))) {
            return Verdict.BAD_SIGNATURE;
        }
        return nowEpochSeconds > exp ? Verdict.EXPIRED : Verdict.VALID;
    }
}

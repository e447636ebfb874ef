package dev.lectern.signaling.ice;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * coturn's {@code use-auth-secret} credentials (the TURN REST API draft): username
 * {@code "<expiry-unix-seconds>:<user-id>"}, password {@code base64(HMAC-SHA1(secret, username))}. The timestamp is the
 * expiry; coturn refuses the credential after it.
 */
public final class TurnCredentials {
    private TurnCredentials() {}

    public record Credential(String username, String password, long expiresAtEpochSeconds) {}

    public static Credential issue(byte[] secret, String userId, long expiresAtEpochSeconds) {
        if (userId.indexOf(':') >= 0) {
            throw new IllegalArgumentException("user id must not contain ':'");
        }
        String username = expiresAtEpochSeconds + ":" + userId;
        return new Credential(username, password(secret, username), expiresAtEpochSeconds);
    }

    static String password(byte[] secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret, "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
    }
}

package dev.lectern.core.auth;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Guest identities ({@code accounts.guestAccess}): user ids that start with {@value #PREFIX} and a random part. No
 * account's id has that form (accounts are numbered), so a guest's rows never mix with an account's.
 */
public final class Guests {
    public static final String PREFIX = "guest-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Guests() {}

    /** A fresh guest id: the prefix and 96 random bits. */
    public static String newId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    public static boolean isGuest(String userId) {
        return userId != null && userId.startsWith(PREFIX);
    }

    /** A guest's principal: a student's rights on the routes guests may use, no token, no expiry. */
    public static Principal principal(String guestId) {
        if (!isGuest(guestId)) {
            throw new IllegalArgumentException("not a guest id");
        }
        return new Principal(guestId, Role.STUDENT, null);
    }
}

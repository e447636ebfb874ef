package dev.lectern.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signed cookie that names a guest ({@value #COOKIE}: the guest id and an HMAC-SHA256 of it under a key derived
 * from the server's signing secret): the REST API sets it, and Socket.IO reads it from the handshake, so one browser is
 * one guest on both. Nobody can pick a guest id: a cookie whose signature does not check names nobody.
 */
public final class GuestCookies {
    public static final String COOKIE = "lectern_guest";

    private final SecretKeySpec key;

    /** @param secret the server's signing secret (the JWT secret): every node signs and checks alike */
    public GuestCookies(byte[] secret) {
        this.key = new SecretKeySpec(hmac(new SecretKeySpec(secret, "HmacSHA256"), "lectern guest cookie"),
                "HmacSHA256");
    }

    /** The cookie's value for a guest id: {@code <id>.<signature>}. */
    public String value(String guestId) {
        return guestId + "." + sign(guestId);
    }

    /** The guest id of a valid cookie in a {@code Cookie} header, else null. */
    public String guestOf(String cookieHeader) {
        if (cookieHeader == null) {
            return null;
        }
        for (String part : cookieHeader.split(";")) {
            String p = part.strip();
            if (!p.startsWith(COOKIE + "=")) {
                continue;
            }
            String value = p.substring(COOKIE.length() + 1);
            int dot = value.lastIndexOf('.');
            if (dot <= 0) {
                continue;
            }
            String id = value.substring(0, dot);
            byte[] given = value.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
            if (Guests.isGuest(id) && id.length() <= 64
                    && MessageDigest.isEqual(given, sign(id).getBytes(StandardCharsets.US_ASCII))) {
                return id;
            }
        }
        return null;
    }

    private String sign(String guestId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(hmac(key, guestId));
    }

    private static byte[] hmac(SecretKeySpec key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}

package dev.lectern.http;

import dev.lectern.core.auth.Guests;
import dev.lectern.core.auth.Principal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.LoggerFactory;

/**
 * Guest mode ({@code accounts.guestAccess}, issue 20): front ends written for Holo Tutor Hub send no token. On the
 * routes that seed documents, a request without a token is served as a guest, named by a signed cookie
 * ({@value #COOKIE}: the guest id and an HMAC of it). A request without a valid cookie is a new guest and gets the
 * cookie with its answer, so a browser stays the same guest; nobody can pick a guest id, so guests cannot reach each
 * other's rooms or history, and a guest id never equals an account's. Every other route still answers 401.
 */
public final class GuestAccess {
    public static final String COOKIE = "lectern_guest";
    private static final long MAX_AGE_SECONDS = 30L * 24 * 3600;
    /** The seed's calls (method and route template) a guest may make. */
    private static final Set<String> ROUTES = Set.of(
            "GET /api/companions", "GET /api/companions/{id}", "GET /api/webrtc/config",
            "POST /api/video/rooms", "GET /api/video/rooms/{id}", "DELETE /api/video/rooms/{id}",
            "GET /api/video/sessions/{user_id}", "GET /api/video/sessions/{user_id}/{session_id}/transcript");

    private final SecretKeySpec key;

    /** @param secret the server's signing secret (the JWT secret): every node signs and checks alike */
    public GuestAccess(byte[] secret) {
        this.key = new SecretKeySpec(hmac(new SecretKeySpec(secret, "HmacSHA256"), "lectern guest cookie"),
                "HmacSHA256");
        LoggerFactory.getLogger(GuestAccess.class).warn("accounts.guestAccess is ON: requests without a token to the"
                + " tutor and room routes are served as guests");
    }

    public boolean allows(Route route) {
        return ROUTES.contains(route.method() + " " + route.template());
    }

    /** Serves the request as the guest its cookie names, or as a new guest that gets its cookie with the answer. */
    public CompletionStage<ApiResponse> admit(ApiRequest request, ApiHandler next) throws Exception {
        String known = guestOf(request.header("cookie"));
        String guest = known != null ? known : Guests.newId();
        CompletionStage<ApiResponse> answer = next.handle(request.withPrincipal(Guests.principal(guest)));
        if (known != null) {
            return answer;
        }
        String cookie = COOKIE + "=" + guest + "." + sign(guest) + "; Path=/; Max-Age=" + MAX_AGE_SECONDS
                + "; HttpOnly; SameSite=Lax";
        return answer.thenApply(r -> r.withHeader("Set-Cookie", cookie));
    }

    /** The guest id of a valid cookie in a {@code Cookie} header, else null. */
    String guestOf(String cookieHeader) {
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

    /** For {@link Principal}s of guests: true when the caller is one. */
    public static boolean isGuest(Principal p) {
        return p != null && Guests.isGuest(p.userId());
    }
}

package dev.lectern.http;

import dev.lectern.core.auth.GuestCookies;
import dev.lectern.core.auth.Guests;
import dev.lectern.core.auth.Principal;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.slf4j.LoggerFactory;

/**
 * Guest mode ({@code accounts.guestAccess}, issue 20): front ends written for Holo Tutor Hub send no token. On the
 * routes that seed documents, a request without a token is served as a guest, named by a signed cookie
 * ({@link GuestCookies}). A request without a valid cookie is a new guest and gets the cookie with its answer, so a
 * browser stays the same guest (on its Socket.IO connections too); nobody can pick a guest id, so guests cannot reach
 * each other's rooms or history, and a guest id never equals an account's. Every other route still answers 401.
 */
public final class GuestAccess {
    private static final long MAX_AGE_SECONDS = 30L * 24 * 3600;
    /** The seed's calls (method and route template) a guest may make. */
    private static final Set<String> ROUTES = Set.of(
            "GET /api/companions", "GET /api/companions/{id}", "GET /api/webrtc/config",
            "POST /api/video/rooms", "GET /api/video/rooms/{id}", "DELETE /api/video/rooms/{id}",
            "GET /api/video/sessions/{user_id}", "GET /api/video/sessions/{user_id}/{session_id}/transcript");

    private final GuestCookies cookies;

    public GuestAccess(GuestCookies cookies) {
        this.cookies = cookies;
        LoggerFactory.getLogger(GuestAccess.class).warn("accounts.guestAccess is ON: requests without a token to the"
                + " tutor and room routes are served as guests");
    }

    public boolean allows(Route route) {
        return ROUTES.contains(route.method() + " " + route.template());
    }

    /** Serves the request as the guest its cookie names, or as a new guest that gets its cookie with the answer. */
    public CompletionStage<ApiResponse> admit(ApiRequest request, ApiHandler next) throws Exception {
        String known = cookies.guestOf(request.header("cookie"));
        String guest = known != null ? known : Guests.newId();
        CompletionStage<ApiResponse> answer = next.handle(request.withPrincipal(Guests.principal(guest)));
        if (known != null) {
            return answer;
        }
        String cookie = GuestCookies.COOKIE + "=" + cookies.value(guest) + "; Path=/; Max-Age=" + MAX_AGE_SECONDS
                + "; HttpOnly; SameSite=Lax";
        return answer.thenApply(r -> r.withHeader("Set-Cookie", cookie));
    }

    /** For {@link Principal}s of guests: true when the caller is one. */
    public static boolean isGuest(Principal p) {
        return p != null && Guests.isGuest(p.userId());
    }
}

package dev.lectern.signaling;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which browser origins may open signaling connections: those in {@code http.cors.allowedOrigins} ("*" = any), the
 * server's own origin (same-origin pages), and clients that send no Origin at all (native apps, servers).
 */
public final class OriginPolicy {
    private final Set<String> allowed;
    private final boolean any;

    public OriginPolicy(List<String> allowedOrigins) {
        this.allowed = Set.copyOf(allowedOrigins);
        this.any = allowed.contains("*");
    }

    public boolean any() {
        return any;
    }

    /** @param host the request's Host header (may be null) */
    public boolean allows(String origin, String host) {
        if (origin == null || any || allowed.contains(origin)) {
            return true;
        }
        if (host == null) {
            return false;
        }
        try {
            URI u = URI.create(origin);
            String authority = u.getRawAuthority();
            return authority != null && authority.toLowerCase(Locale.ROOT).equals(host.toLowerCase(Locale.ROOT))
                    && ("http".equals(u.getScheme()) || "https".equals(u.getScheme()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}

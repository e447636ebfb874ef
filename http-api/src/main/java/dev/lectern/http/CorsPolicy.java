package dev.lectern.http;

import dev.lectern.core.config.HttpConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cross-origin rules from {@code http.cors}: an origin gets CORS headers only when it is on the allow-list. A
 * configured {@code "*"} answers with a literal {@code *} and never with credentials; an origin is never reflected
 * unless it was listed.
 */
public final class CorsPolicy {
    static final String ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
    static final String ALLOW_HEADERS = "Authorization, Content-Type, X-Request-Id";
    static final String EXPOSE_HEADERS = "X-Request-Id, X-New-Token, Retry-After";

    private final Set<String> origins;
    private final boolean any;
    private final boolean credentials;
    private final long maxAgeSeconds;

    public CorsPolicy(HttpConfig.Cors config) {
        this.origins = Set.copyOf(config.allowedOrigins());
        this.any = origins.contains("*");
        this.credentials = config.allowCredentials();
        this.maxAgeSeconds = config.maxAgeSeconds();
    }

    public boolean allows(String origin) {
        return origin != null && (any || origins.contains(origin));
    }

    /** Headers for an actual (non-preflight) response; empty when the origin is absent or not allowed. */
    public Map<String, String> responseHeaders(String origin) {
        if (!allows(origin)) {
            return Map.of();
        }
        Map<String, String> h = new LinkedHashMap<>();
        if (any) {
            h.put("Access-Control-Allow-Origin", "*");
        } else {
            h.put("Access-Control-Allow-Origin", origin);
            h.put("Vary", "Origin");
            if (credentials) {
                h.put("Access-Control-Allow-Credentials", "true");
            }
        }
        h.put("Access-Control-Expose-Headers", EXPOSE_HEADERS);
        return h;
    }

    /** Headers for a preflight answer (204), or null when the origin is not allowed (answered 403). */
    public Map<String, String> preflightHeaders(String origin, List<String> allowedMethods) {
        if (!allows(origin)) {
            return null;
        }
        Map<String, String> h = new LinkedHashMap<>(responseHeaders(origin));
        h.remove("Access-Control-Expose-Headers");
        h.put("Access-Control-Allow-Methods", allowedMethods == null ? ALLOW_METHODS : String.join(", ", allowedMethods));
        h.put("Access-Control-Allow-Headers", ALLOW_HEADERS);
        h.put("Access-Control-Max-Age", Long.toString(maxAgeSeconds));
        return h;
    }
}

package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkRange;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Sign-in with an external OIDC provider (Cognito or any other), beside Lectern's own tokens ({@code accounts.oidc}).
 * {@code issuer} "" turns it off; it is either the issuer URL or, for Cognito, the user pool id
 * ({@code eu-west-1_AbCdEfGhI}), from which the issuer {@code https://cognito-idp.<region>.amazonaws.com/<pool id>}
 * follows. {@code jwksUrl} "" means {@code <issuer>/.well-known/jwks.json}. Tokens are RS256 only; {@code tokenUses}
 * lists the accepted {@code token_use} values (Cognito's {@code id} and {@code access}; a token without the claim is
 * taken as an ID token). {@code groups} maps a provider group ({@code cognito:groups}) to the role and the Lectern
 * organisation group a first-seen user gets; the first listed group of the user that is mapped wins, else
 * {@code defaultRole}.
 */
public record OidcConfig(String issuer, String clientId, String jwksUrl, List<String> tokenUses,
                         String defaultRole, Map<String, GroupMapping> groups, long jwksCacheSeconds,
                         long unknownKeyRefetchSeconds, long outageToleranceSeconds, int timeoutMillis,
                         long clockSkewSeconds) {
    /** A Cognito user pool id, {@code <region>_<id>}; group 1 is the region. */
    static final Pattern COGNITO_POOL = Pattern.compile("([a-z]{2}(?:-[a-z]+)+-\\d)_[A-Za-z0-9]+");

    /** What membership of a provider group gives a first-seen user: a role and, optionally, an organisation group. */
    public record GroupMapping(String role, String group) {
        public GroupMapping {
            role = role == null ? "" : role;
            group = group == null ? "" : group;
        }
    }

    public OidcConfig {
        issuer = issuer == null ? "" : issuer.strip();
        clientId = clientId == null ? "" : clientId.strip();
        jwksUrl = jwksUrl == null ? "" : jwksUrl.strip();
        tokenUses = tokenUses == null ? List.of("id", "access") : List.copyOf(tokenUses);
        for (String u : tokenUses) {
            if (!u.equals("id") && !u.equals("access")) {
                throw new ConfigException("accounts.oidc.tokenUses: " + u + " (expected id and/or access)");
            }
        }
        defaultRole = defaultRole == null || defaultRole.isBlank() ? "student" : defaultRole.strip();
        groups = groups == null ? Map.of() : Map.copyOf(groups);
        if (!issuer.isEmpty()) {
            issuer = normaliseIssuer(issuer);
            if (clientId.isEmpty()) {
                throw new ConfigException("accounts.oidc.clientId: required when accounts.oidc.issuer is set");
            }
            if (!jwksUrl.isEmpty()) {
                url(jwksUrl, "accounts.oidc.jwksUrl");
            }
        }
        checkRange(jwksCacheSeconds, 2, 86_400, "accounts.oidc.jwksCacheSeconds");
        checkRange(unknownKeyRefetchSeconds, 1, jwksCacheSeconds - 1, "accounts.oidc.unknownKeyRefetchSeconds"
                + " (below jwksCacheSeconds)");
        checkRange(outageToleranceSeconds, 0, 7 * 86_400, "accounts.oidc.outageToleranceSeconds");
        checkRange(timeoutMillis, 100, 60_000, "accounts.oidc.timeoutMillis");
        checkRange(clockSkewSeconds, 0, 600, "accounts.oidc.clockSkewSeconds");
    }

    public boolean enabled() {
        return !issuer.isEmpty();
    }

    /** Where the signing keys are: the configured URL, else {@code <issuer>/.well-known/jwks.json}. */
    public String effectiveJwksUrl() {
        return jwksUrl.isEmpty() ? issuer + "/.well-known/jwks.json" : jwksUrl;
    }

    /**
     * The issuer as tokens carry it: a Cognito user pool id becomes its issuer URL; a URL loses a trailing slash
     * (Cognito's {@code iss} has none).
     */
    public static String normaliseIssuer(String issuer) {
        String s = issuer.strip();
        var m = COGNITO_POOL.matcher(s);
        if (m.matches()) {
            return "https://cognito-idp." + m.group(1) + ".amazonaws.com/" + s;
        }
        url(s, "accounts.oidc.issuer");
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    private static void url(String value, String key) {
        try {
            URI u = new URI(value);
            if (!"https".equals(u.getScheme()) && !"http".equals(u.getScheme()) || u.getHost() == null) {
                throw new ConfigException(key + ": " + value + " (expected an http(s) URL or a Cognito user pool id)");
            }
        } catch (URISyntaxException e) {
            throw new ConfigException(key + ": not a URL: " + e.getMessage());
        }
    }
}

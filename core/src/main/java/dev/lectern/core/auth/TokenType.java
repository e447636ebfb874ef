package dev.lectern.core.auth;

import java.util.Locale;

/**
 * The kind of token a caller signed in with: Lectern's own (from {@code /api/login} or {@code /api/register}), or an
 * external OIDC provider's (Cognito) ID or access token. The verifier records the kind in the principal's token id
 * ({@link #tokenId}); {@link #of(Principal)} reads it back, so that {@link AcceptedTokens} can refuse a kind a route
 * does not take, as the lecture seed's {@code require_token_types} does.
 */
public enum TokenType {
    /** Lectern's own bearer token. */
    LECTERN,
    /** An external provider's ID token ({@code token_use} {@code id}). */
    OIDC_ID,
    /** An external provider's access token ({@code token_use} {@code access}). */
    OIDC_ACCESS;

    /** The token id prefix of principals from external tokens. */
    public static final String OIDC_PREFIX = "oidc:";

    /** The name in messages and config: {@code lectern}, {@code oidc_id}, {@code oidc_access}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The token id of a principal from an external token: {@code oidc:<token_use>:<id>}. */
    public static String tokenId(String tokenUse, String id) {
        return OIDC_PREFIX + tokenUse + ":" + id;
    }

    /** The kind of token the principal was verified from; a principal without an external token id is Lectern's. */
    public static TokenType of(Principal p) {
        String id = p.tokenId();
        if (id == null || !id.startsWith(OIDC_PREFIX)) {
            return LECTERN;
        }
        return id.startsWith("access:", OIDC_PREFIX.length()) ? OIDC_ACCESS : OIDC_ID;
    }

    /** {@code lectern}, {@code oidc_id}, {@code oidc_access}, or the seed's {@code cognito} (either external kind). */
    public static AcceptedTokens parse(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        if (n.equals("cognito") || n.equals("oidc")) {
            return AcceptedTokens.EXTERNAL;
        }
        for (TokenType t : values()) {
            if (t.wireName().equals(n)) {
                return AcceptedTokens.of(t);
            }
        }
        throw new IllegalArgumentException("unknown token type " + name
                + " (expected lectern, oidc_id, oidc_access or cognito)");
    }
}

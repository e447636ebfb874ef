package dev.lectern.core.auth;

/**
 * A valid token of a kind the entry point does not take ({@link AcceptedTokens#check}): a 403 over REST and SSE, a
 * refused connect over signaling. The message names the refused kind and the accepted ones; it is safe to show.
 */
public final class TokenTypeRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The error code clients see. */
    public static final String CODE = "token_type_refused";

    private final TokenType refused;

    public TokenTypeRefusedException(TokenType refused, String message) {
        super(message, null, false, false);
        this.refused = refused;
    }

    public TokenType refused() {
        return refused;
    }
}

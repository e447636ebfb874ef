package dev.lectern.core.auth;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which kinds of token an entry point takes ({@link TokenType}), and the one check of them that REST routes, SSE
 * routes and signaling connects share: {@link #check} refuses a principal verified from another kind with a
 * {@link TokenTypeRefusedException} naming the refused and the accepted kinds.
 */
public final class AcceptedTokens {
    /** Every kind: what every entry point took before routes could say (the default). */
    public static final AcceptedTokens ANY = new AcceptedTokens(EnumSet.allOf(TokenType.class));
    /** The external provider's tokens only: the seed's {@code require_token_types(["cognito"])}. */
    public static final AcceptedTokens EXTERNAL = new AcceptedTokens(EnumSet.of(TokenType.OIDC_ID,
            TokenType.OIDC_ACCESS));

    private final Set<TokenType> types;
    private final String names;

    private AcceptedTokens(EnumSet<TokenType> types) {
        if (types.isEmpty()) {
            throw new IllegalArgumentException("no token type accepted");
        }
        this.types = java.util.Collections.unmodifiableSet(types);
        this.names = types.stream().map(TokenType::wireName).collect(Collectors.joining(", "));
    }

    public static AcceptedTokens of(TokenType first, TokenType... more) {
        return new AcceptedTokens(EnumSet.of(first, more));
    }

    /** The union of several sets, e.g. the names of a config list parsed with {@link TokenType#parse}. */
    public static AcceptedTokens union(Iterable<AcceptedTokens> sets) {
        EnumSet<TokenType> all = EnumSet.noneOf(TokenType.class);
        for (AcceptedTokens s : sets) {
            all.addAll(s.types);
        }
        return new AcceptedTokens(all);
    }

    public Set<TokenType> types() {
        return types;
    }

    public boolean accepts(Principal p) {
        return types.contains(TokenType.of(p));
    }

    /** The principal itself when its kind of token is accepted, else a {@link TokenTypeRefusedException}. */
    public Principal check(Principal p) {
        TokenType t = TokenType.of(p);
        if (!types.contains(t)) {
            throw new TokenTypeRefusedException(t, "a " + t.wireName() + " token is not accepted here (accepted: "
                    + names + ")");
        }
        return p;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AcceptedTokens a && a.types.equals(types);
    }

    @Override
    public int hashCode() {
        return types.hashCode();
    }

    @Override
    public String toString() {
        return names;
    }
}

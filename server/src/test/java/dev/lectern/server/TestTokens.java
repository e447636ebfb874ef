package dev.lectern.server;

import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import java.util.concurrent.CompletableFuture;

/** Tokens for tests of ownership: "alice" and "bob" are two students; any other token is invalid. */
public final class TestTokens {
    private TestTokens() {}

    public static final TokenVerifier ALICE_AND_BOB = token -> switch (token) {
        case "alice" -> CompletableFuture.completedFuture(new Principal("alice", Role.STUDENT, "t1"));
        case "bob" -> CompletableFuture.completedFuture(new Principal("bob", Role.STUDENT, "t2"));
        default -> CompletableFuture.failedFuture(new InvalidTokenException("bad token"));
    };
}

package dev.lectern.signaling;

import dev.lectern.core.auth.Principal;
import java.util.concurrent.CompletionStage;

/** The plain JSON WebSocket dialect: authenticate the upgrade request, then serve the connection. */
public interface JsonWsEndpoint {
    /** Completes with the caller's identity, or exceptionally when the token is missing or invalid. */
    CompletionStage<Principal> authenticate(String token, String devUserId);

    JsonWsConnection open(Principal principal, JsonWsSink sink);
}

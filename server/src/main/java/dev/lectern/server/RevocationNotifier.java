package dev.lectern.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.accounts.TokenService;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.signaling.SignalingService;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes live sockets whose token was revoked (logout, a password change, a disabled account), on every node: the
 * token service announces revocations on the ephemeral store's {@value TokenService#REVOKED_CHANNEL} channel.
 */
final class RevocationNotifier implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(RevocationNotifier.class);

    private final EphemeralStore.Subscription subscription;

    RevocationNotifier(EphemeralStore store, SignalingService signaling) {
        this.subscription = store.subscribe(TokenService.REVOKED_CHANNEL, message -> {
            JsonNode m;
            try {
                m = Json.MAPPER.readTree(message);
            } catch (IOException e) {
                logger.warn("ignoring a malformed revocation");
                return;
            }
            String user = m.path("user_id").asText(null);
            if (user != null) {
                String token = m.path("token_id").isTextual() ? m.get("token_id").asText() : null;
                int closed = signaling.closeUser(user, token);
                if (closed > 0) {
                    logger.atInfo().addKeyValue("user", user).log("closed {} socket(s) of a revoked token", closed);
                }
            }
        });
    }

    @Override
    public void close() {
        subscription.close();
    }
}

package dev.lectern.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.media.AvatarEvent;
import dev.lectern.media.AvatarService;
import dev.lectern.signaling.SignalingService;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the users of a crashed avatar instance, on every node: the avatar manager publishes its events on the
 * ephemeral store's {@value AvatarService#EVENTS_CHANNEL} channel, and each node sends a signaling {@code error
 * {code:"avatar_crashed", …}} to the sockets those users have open on it. One path for local and remote crashes,
 * so nobody is told twice.
 */
final class AvatarCrashNotifier implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(AvatarCrashNotifier.class);

    private final EphemeralStore.Subscription subscription;

    AvatarCrashNotifier(EphemeralStore store, SignalingService signaling) {
        this.subscription = store.subscribe(AvatarService.EVENTS_CHANNEL, message -> {
            AvatarEvent event;
            try {
                event = Json.MAPPER.readValue(message, AvatarEvent.class);
            } catch (IOException e) {
                logger.warn("ignoring a malformed avatar event");
                return;
            }
            if (event.type() != AvatarEvent.Type.CRASHED) {
                return;
            }
            ObjectNode error = Json.MAPPER.createObjectNode()
                    .put("code", "avatar_crashed")
                    .put("message", "your avatar stopped unexpectedly; start it again to continue")
                    .put("avatar_name", event.avatarName())
                    .put("instance_id", event.instanceId());
            for (String user : event.users()) {
                signaling.sendToUser(user, "error", (JsonNode) error);
            }
        });
    }

    @Override
    public void close() {
        subscription.close();
    }
}

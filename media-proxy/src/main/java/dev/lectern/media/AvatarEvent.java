package dev.lectern.media;

import java.util.List;

/**
 * Something happened to an instance that its users must hear about (signaling sends them an {@code error}). Also
 * published as JSON on the ephemeral store's {@value AvatarService#EVENTS_CHANNEL} channel, so every node learns it.
 */
public record AvatarEvent(Type type, String instanceId, String avatarName, List<String> users, String message) {
    public AvatarEvent {
        users = List.copyOf(users);
    }

    /** Event types. */
    public enum Type {
        /** The process exited on its own; its users must start an avatar again. */
        CRASHED,
        /** Stopped because nobody used it for {@code avatars.idleStopMillis}. */
        IDLE_STOPPED
    }
}

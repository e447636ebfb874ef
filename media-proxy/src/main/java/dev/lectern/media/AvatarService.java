package dev.lectern.media;

import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.health.HealthCheck;
import dev.lectern.core.store.EphemeralStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.asynchttpclient.AsyncHttpClient;

/**
 * Avatar instances for users: started here ({@link LocalAvatarManager}) or by an avatar manager that already runs
 * ({@link ExternalAvatarManager}). Every method returns at once; process control and network calls run on the
 * service's own threads, never on the caller's (event-loop) thread.
 */
public interface AvatarService extends AutoCloseable, HealthCheck {
    /** The ephemeral-store hash holding user id → instance (JSON), readable from every node. */
    String USERS_KEY = "avatar:users";
    /** The ephemeral-store pub/sub channel carrying {@link AvatarEvent}s as JSON. */
    String EVENTS_CHANNEL = "avatar.events";

    /** The configured catalogue. */
    List<AvatarsConfig.Avatar> catalogue();

    /**
     * Gives the user an instance of the avatar: their current one when it is the same avatar, a shared one with room,
     * or a new process once it is ready. Switching avatar releases the previous one. Fails with
     * {@link AvatarException}.
     */
    CompletionStage<AvatarAssignment> start(String userId, String avatarName);

    /**
     * As {@link #start(String, String)} for an avatar that is not in the configured catalogue: one added through the
     * API, which the caller has looked up.
     */
    CompletionStage<AvatarAssignment> start(String userId, AvatarsConfig.Avatar avatar);

    /** Releases the user's instance; completes with false when they had none. */
    CompletionStage<Boolean> disconnect(String userId);

    /** The avatar the user's instance runs (starting or ready), if they have one. Never blocks. */
    java.util.Optional<String> currentAvatar(String userId);

    /** The user's avatar was used (a proxied request, a sentence spoken): their lease starts over. Never blocks. */
    default void touch(String userId) {
    }

    /** Where the proxy may forward this user's requests. Never blocks. */
    ProxyTarget target(String userId);

    /** Registers a listener for crashes and idle stops; it runs on a service thread and must not block for long. */
    void addListener(Consumer<AvatarEvent> listener);

    /** For {@code /api/health}. */
    @Override
    default String name() {
        return "avatars";
    }

    /**
     * The service the config asks for: {@code local} processes or an {@code external} manager (which calls it with
     * {@code http}, the process's shared HTTP client).
     */
    static AvatarService create(AvatarsConfig config, Path dataDir, EphemeralStore store, Executor blocking,
            AsyncHttpClient http) {
        return config.mode().equals("external") ? new ExternalAvatarManager(config, store, blocking, http)
                : new LocalAvatarManager(config, dataDir, store);
    }

    /** Stops every instance this service started and waits for the processes to exit. */
    @Override
    void close();
}

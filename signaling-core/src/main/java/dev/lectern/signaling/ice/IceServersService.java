package dev.lectern.signaling.ice;

import dev.lectern.core.config.ConfigException;
import dev.lectern.core.config.IceConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The ICE servers a given user gets: the configured STUN URLs and, when TURN is configured, TURN with credentials
 * (per-user and short-lived in {@code secret} mode, shared in {@code static} mode). Used by {@code GET
 * /api/webrtc/config}, the room API and the signaling {@code joined} event.
 */
public final class IceServersService {
    private final IceConfig config;
    private final Secret turnSecret;
    private final Secret staticCredential;
    private final Clock clock;

    public IceServersService(IceConfig config, Secrets secrets, Clock clock) {
        this.config = config;
        this.clock = clock;
        boolean turn = !config.turn().urls().isEmpty();
        if (turn && config.turn().mode().equals("secret")) {
            this.turnSecret = secrets.get("LECTERN_TURN_SECRET").orElseThrow(() -> new ConfigException(
                    "ice.turn.mode: secret needs the environment variable LECTERN_TURN_SECRET (or LECTERN_TURN_SECRET_FILE)"));
            if (turnSecret.length() < 16) {
                throw new ConfigException("LECTERN_TURN_SECRET: too short (expected: at least 16 bytes)");
            }
            this.staticCredential = null;
        } else if (turn) {
            if (config.turn().staticUsername().isBlank()) {
                throw new ConfigException("ice.turn.staticUsername: required when ice.turn.mode is static");
            }
            this.staticCredential = secrets.get("LECTERN_TURN_CREDENTIAL").orElseThrow(() -> new ConfigException(
                    "ice.turn.mode: static needs the environment variable LECTERN_TURN_CREDENTIAL"));
            this.turnSecret = null;
        } else {
            this.turnSecret = null;
            this.staticCredential = null;
        }
    }

    /** Seconds a TURN credential stays valid (0 when none is issued). */
    public long ttlSeconds() {
        return turnSecret != null ? config.turn().ttlSeconds() : 0;
    }

    public List<IceServer> forUser(String userId) {
        List<IceServer> servers = new ArrayList<>(2);
        if (!config.stunUrls().isEmpty()) {
            servers.add(new IceServer(config.stunUrls(), null, null));
        }
        if (turnSecret != null) {
            long expiry = clock.instant().getEpochSecond() + config.turn().ttlSeconds();
            TurnCredentials.Credential c = TurnCredentials.issue(turnSecret.bytes(), userId.replace(':', '_'), expiry);
            servers.add(new IceServer(config.turn().urls(), c.username(), c.password()));
        } else if (staticCredential != null) {
            servers.add(new IceServer(config.turn().urls(), config.turn().staticUsername(), staticCredential.reveal()));
        }
        return servers;
    }
}

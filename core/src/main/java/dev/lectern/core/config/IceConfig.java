package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkRange;

import java.util.List;
import java.util.Locale;

/** ICE servers handed to browsers: STUN URLs, and TURN with short-lived (coturn REST) or static credentials. */
public record IceConfig(List<String> stunUrls, Turn turn) {
    public IceConfig {
        stunUrls = Checks.copyOf(stunUrls, "ice.stunUrls");
        for (String url : stunUrls) {
            if (!url.startsWith("stun:") && !url.startsWith("stuns:")) {
                throw new ConfigException("ice.stunUrls: " + url + " (expected: stun: or stuns: URL)");
            }
        }
        if (turn == null) {
            throw new ConfigException("ice.turn: missing");
        }
    }

    /**
     * TURN servers. {@code mode: secret} issues coturn {@code use-auth-secret} credentials from the shared secret in
     * {@code LECTERN_TURN_SECRET}; {@code mode: static} hands out {@code staticUsername} with the credential in
     * {@code LECTERN_TURN_CREDENTIAL}.
     */
    public record Turn(List<String> urls, String mode, long ttlSeconds, String staticUsername) {
        public Turn {
            urls = Checks.copyOf(urls, "ice.turn.urls");
            for (String url : urls) {
                if (!url.startsWith("turn:") && !url.startsWith("turns:")) {
                    throw new ConfigException("ice.turn.urls: " + url + " (expected: turn: or turns: URL)");
                }
            }
            mode = mode == null ? "" : mode.toLowerCase(Locale.ROOT);
            if (!mode.equals("secret") && !mode.equals("static")) {
                throw new ConfigException("ice.turn.mode: " + mode + " (expected: secret or static)");
            }
            checkRange(ttlSeconds, 60, 7 * 86400, "ice.turn.ttlSeconds");
            if (staticUsername == null) {
                throw new ConfigException("ice.turn.staticUsername: missing (use \"\" when not static)");
            }
        }
    }
}

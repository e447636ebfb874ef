package dev.lectern.core.config;

/**
 * The whole configuration: one immutable record tree loaded from {@code config/lectern.yaml} with
 * {@code LECTERN_A__B_C} environment overrides (see {@link ConfigLoader}). Each module gets only its own sub-record.
 */
public record ServerConfig(HttpConfig http, SignalingConfig signaling, StorageConfig storage, AiConfig ai) {
    public ServerConfig {
        if (http == null || signaling == null || storage == null) {
            throw new ConfigException("config: sections http, signaling and storage are required");
        }
        if (ai == null) {
            throw new ConfigException("config: section ai is required");
        }
    }
}

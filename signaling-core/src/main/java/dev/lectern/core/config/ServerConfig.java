package dev.lectern.core.config;

/**
 * The whole configuration: one immutable record tree loaded from {@code config/lectern.yaml} with
 * {@code LECTERN_A__B_C} environment overrides (see {@link ConfigLoader}). Each module gets only its own sub-record.
 * Every section is required; {@link ConfigLoader} names a missing one.
 */
public record ServerConfig(
        HttpConfig http,
        SignalingConfig signaling,
        StorageConfig storage,
        AccountsConfig accounts,
        IceConfig ice,
        HistoryConfig history,
        AvatarsConfig avatars,
        AiConfig ai) {
}

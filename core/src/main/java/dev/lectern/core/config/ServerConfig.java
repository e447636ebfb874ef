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
        AiConfig ai,
        UploadsConfig uploads,
        ClusterConfig cluster,
        LessonsConfig lessons,
        JobsConfig jobs,
        CoursesConfig courses,
        ExamsConfig exams) {

    /** The same configuration with another AI section (tests and benchmarks point it at their own upstream). */
    public ServerConfig withAi(AiConfig newAi) {
        return new ServerConfig(http, signaling, storage, accounts, ice, history, avatars, newAi, uploads, cluster,
                lessons, jobs, courses, exams);
    }
}

package dev.lectern.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.testing.TestConfigs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeedEnvironmentTest {
    private static final String JWT = "0123456789abcdef0123456789abcdef-jwt";

    private static ServerConfig load(SeedEnvironment seed) {
        return ConfigLoader.load(TestConfigs.defaultFile(), seed);
    }

    private static SeedEnvironment file(Map<String, String> fileEnv) {
        return SeedEnvironment.of(Map.of(), fileEnv);
    }

    @Test
    void databaseUrlBecomesJdbcUrlUserAndPasswordSecret() {
        SeedEnvironment seed = file(Map.of("DATABASE_URL", "postgresql://tutor:p%40ss:w0rd@db.internal/tutordb"));
        ServerConfig c = load(seed);
        assertThat(c.storage().sql().url()).isEqualTo("jdbc:postgresql://db.internal/tutordb");
        assertThat(c.storage().sql().user()).isEqualTo("tutor");
        assertThat(seed.env()).containsEntry("LECTERN_SQL_PASSWORD", "p@ss:w0rd");
        assertThat(seed.describe()).contains("DATABASE_URL -> storage.sql.url, storage.sql.user, LECTERN_SQL_PASSWORD")
                .doesNotContain("p@ss").doesNotContain("p%40ss").doesNotContain("tutordb");
    }

    @Test
    void databaseUrlKeepsPortQueryAndSqlAlchemyDriverSuffix() {
        ServerConfig c = load(file(Map.of("DATABASE_URL",
                "postgresql+psycopg2://app@10.0.0.5:6432/lectures?sslmode=require")));
        assertThat(c.storage().sql().url()).isEqualTo("jdbc:postgresql://10.0.0.5:6432/lectures?sslmode=require");
        assertThat(c.storage().sql().user()).isEqualTo("app");
        assertThat(load(file(Map.of("DATABASE_URL", "postgres://h/db"))).storage().sql().url())
                .isEqualTo("jdbc:postgresql://h/db");
    }

    @Test
    void unusableDatabaseUrlsAreClearErrorsThatNeverQuoteThePassword() {
        assertThatThrownBy(() -> file(Map.of("DATABASE_URL", "mysql://u:hunter2@h/db")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mysql").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> file(Map.of("DATABASE_URL", "postgresql://u:hunter2@h")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no database")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> file(Map.of("DATABASE_URL", "postgresql://u:hun ter2@h/db")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("percent-encode")
                .hasMessageNotContaining("hun ter2");
        SeedEnvironment sqlite = file(Map.of("DATABASE_URL", "sqlite:///tutor.db"));
        assertThat(sqlite.ignored()).containsKey("DATABASE_URL");
        assertThat(load(sqlite).storage().sql().url()).isEmpty();
    }

    @Test
    void explicitLecternVariablesWinOverMappedSeedVariables() {
        Map<String, String> process = Map.of(
                "LECTERN_STORAGE__SQL__URL", "jdbc:postgresql://explicit/db",
                "LECTERN_ACCOUNTS__TOKEN_TTL_SECONDS", "7200",
                "LECTERN_SMTP_PASSWORD", "explicit-smtp");
        SeedEnvironment seed = SeedEnvironment.of(process, Map.of(
                "DATABASE_URL", "postgresql://seed:seedpw@seedhost/seed",
                "JWT_ACCESS_TOKEN_EXPIRES", "18000",
                "MAIL_PASSWORD", "seed-smtp"));
        ServerConfig c = load(seed);
        assertThat(c.storage().sql().url()).isEqualTo("jdbc:postgresql://explicit/db");
        assertThat(c.storage().sql().user()).isEmpty();
        assertThat(seed.env()).doesNotContainKey("LECTERN_SQL_PASSWORD")
                .containsEntry("LECTERN_SMTP_PASSWORD", "explicit-smtp");
        assertThat(c.accounts().tokenTtlSeconds()).isEqualTo(7200);
        assertThat(seed.ignored()).containsKey("DATABASE_URL");
        assertThat(seed.describe()).contains("accounts.tokenTtlSeconds (LECTERN_ACCOUNTS__TOKEN_TTL_SECONDS wins)");
    }

    @Test
    void processEnvironmentWinsOverTheFile() {
        SeedEnvironment seed = SeedEnvironment.of(Map.of("REDIS_URL", "redis://from-process:6379"),
                Map.of("REDIS_URL", "redis://from-file:6379"));
        assertThat(load(seed).storage().redis().url()).isEqualTo("redis://from-process:6379");
    }

    @Test
    void redisUrlLosesItsPasswordToTheSecret() {
        SeedEnvironment seed = file(Map.of("REDIS_URL", "rediss://:r3dis@cache.example:6380/2"));
        assertThat(load(seed).storage().redis().url()).isEqualTo("rediss://cache.example:6380/2");
        assertThat(seed.env()).containsEntry("LECTERN_REDIS_PASSWORD", "r3dis");
        assertThat(seed.describe()).doesNotContain("r3dis");
        assertThat(load(file(Map.of("REDIS_URL", "redis://localhost:6379"))).storage().redis().url())
                .isEqualTo("redis://localhost:6379");
        assertThatThrownBy(() -> file(Map.of("REDIS_URL", "redis://alice:pw@h:6379")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("user");
    }

    @Test
    void holoTutorHubEnvironment() {
        SeedEnvironment seed = file(Map.of(
                "OPENROUTER_API_KEY", "sk-or-1", "ELEVENLABS_API_KEY", "el-1",
                "AWS_ACCESS_KEY_ID", "AKIA1", "AWS_SECRET_ACCESS_KEY", "aws-secret",
                "S3_BUCKET_NAME", "holo-audio", "REDIS_URL", "redis://localhost:6379"));
        ServerConfig c = load(seed);
        assertThat(c.ai().providers()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("openrouter");
            assertThat(p.baseUrl()).isEqualTo("https://openrouter.ai/api/v1");
            assertThat(p.apiKeyEnv()).isEqualTo("OPENROUTER_API_KEY");
            assertThat(p.models()).isNotEmpty();
        });
        assertThat(c.ai().tts().provider()).isEqualTo("elevenlabs");
        assertThat(c.ai().tts().baseUrl()).isEqualTo("https://api.elevenlabs.io");
        assertThat(c.ai().tts().apiKeyEnv()).isEqualTo("ELEVENLABS_API_KEY");
        assertThat(c.storage().objects().s3().bucket()).isEqualTo("holo-audio");
        assertThat(seed.env()).containsEntry("LECTERN_S3_ACCESS_KEY_ID", "AKIA1")
                .containsEntry("LECTERN_S3_SECRET_ACCESS_KEY", "aws-secret")
                .containsEntry("OPENROUTER_API_KEY", "sk-or-1");
        assertThat(seed.ignored()).isEmpty();
        assertThat(seed.describe()).doesNotContain("sk-or-1", "el-1", "AKIA1", "aws-secret");
    }

    @Test
    void openRouterKeyLeavesProvidersOfTheFileAlone(@TempDir Path dir) throws IOException {
        String yaml = Files.readString(TestConfigs.defaultFile()).replace("  providers: []", "  providers:\n"
                + "    - {name: local, baseUrl: \"http://127.0.0.1:11434/v1\", apiKeyEnv: \"\", models: [llama3],"
                + " referer: \"\", title: \"\"}");
        Path f = dir.resolve("lectern.yaml");
        Files.writeString(f, yaml);
        SeedEnvironment seed = file(Map.of("OPENROUTER_API_KEY", "k"));
        ServerConfig c = ConfigLoader.load(f, seed);
        assertThat(c.ai().providers()).extracting(AiConfig.Provider::name).containsExactly("local");
        assertThat(seed.ignored()).containsKey("OPENROUTER_API_KEY");
    }

    @Test
    void lectureManagementEnvironmentWithTwoBucketsAndCognito() {
        SeedEnvironment seed = file(Map.of(
                "DATABASE_URL", "postgresql://u:p@h/lectures", "AWS_REGION_NAME", "eu-west-1",
                "AWS_S3_AUDIO_BUCKET_NAME", "lectures-audio", "AWS_S3_CONTENT_BUCKET_NAME", "lectures-content",
                "COGNITO_USERPOOL_ID", "eu-west-1_abc", "COGNITO_APP_CLIENT_ID", "client"));
        ServerConfig c = load(seed);
        assertThat(c.storage().objects().s3().bucket()).isEqualTo("lectures-content");
        assertThat(c.storage().objects().s3().region()).isEqualTo("eu-west-1");
        assertThat(c.storage().objects().s3().buckets()).isEqualTo(new StorageConfig.Buckets("lectures-audio",
                "lectures-content"));
        assertThat(seed.ignored()).doesNotContainKeys("AWS_S3_AUDIO_BUCKET_NAME", "AWS_S3_CONTENT_BUCKET_NAME",
                "COGNITO_USERPOOL_ID", "COGNITO_APP_CLIENT_ID");
        // the Cognito pool and app client are Lectern's external sign-in
        assertThat(c.accounts().oidc().issuer())
                .isEqualTo("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc");
        assertThat(c.accounts().oidc().clientId()).isEqualTo("client");
        assertThat(seed.mapped()).containsEntry("COGNITO_USERPOOL_ID", List.of("accounts.oidc.issuer"))
                .containsEntry("COGNITO_APP_CLIENT_ID", List.of("accounts.oidc.clientId"));
        assertThat(seed.describe()).contains("COGNITO_USERPOOL_ID -> accounts.oidc.issuer")
                .doesNotContain("eu-west-1_abc");
    }

    @Test
    void cognitoRegionCompletesAPoolIdWithoutOneAndMustMatchOneWithIt() {
        SeedEnvironment bare = file(Map.of("COGNITO_USERPOOL_ID", "AbCdEf123", "COGNITO_REGION", "eu-central-1",
                "COGNITO_APP_CLIENT_ID", "client"));
        assertThat(load(bare).accounts().oidc().issuer())
                .isEqualTo("https://cognito-idp.eu-central-1.amazonaws.com/AbCdEf123");
        assertThatThrownBy(() -> file(Map.of("COGNITO_USERPOOL_ID", "eu-west-1_abc", "COGNITO_REGION",
                "eu-central-1"))).isInstanceOf(ConfigException.class).hasMessageContaining("COGNITO_REGION");
        assertThatThrownBy(() -> file(Map.of("COGNITO_USERPOOL_ID", "AbCdEf123")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("COGNITO_REGION");
        // an explicit LECTERN_ variable wins; a client id without a pool leaves sign-in off
        SeedEnvironment explicit = file(Map.of("COGNITO_USERPOOL_ID", "eu-west-1_abc", "COGNITO_APP_CLIENT_ID", "c",
                "LECTERN_ACCOUNTS__OIDC__ISSUER", "https://login.example.org"));
        assertThat(explicit.overrides()).doesNotContainKey("LECTERN_ACCOUNTS__OIDC__ISSUER");
        assertThat(file(Map.of("COGNITO_APP_CLIENT_ID", "c")).ignored()).containsKey("COGNITO_APP_CLIENT_ID");
    }

    @Test
    void virtualTutorEnvironment() {
        Map<String, String> env = new HashMap<>(Map.of(
                "SECRET_KEY", "flask", "JWT_SECRET_KEY", JWT, "JWT_ACCESS_TOKEN_EXPIRES", "18000",
                "JWT_COOKIE_CSRF_PROTECT", "false", "REDIS_TOKEN_TTL_SECONDS", "18000",
                "MAIL_SERVER", "smtp.gmail.com", "MAIL_PORT", "587", "MAIL_USE_TLS", "true", "MAIL_USE_SSL", "false"));
        env.putAll(Map.of("MAIL_USERNAME", "me@gmail.com", "MAIL_PASSWORD", "app-pw",
                "MAIL_DEFAULT_SENDER", "TutorNet <me@gmail.com>", "WORKERS", "4", "LOG_LEVEL", "warning"));
        SeedEnvironment seed = file(env);
        ServerConfig c = load(seed);
        assertThat(c.accounts().tokenTtlSeconds()).isEqualTo(18000);
        assertThat(c.accounts().smtp().host()).isEqualTo("smtp.gmail.com");
        assertThat(c.accounts().smtp().port()).isEqualTo(587);
        assertThat(c.accounts().smtp().security()).isEqualTo("starttls");
        assertThat(c.accounts().smtp().username()).isEqualTo("me@gmail.com");
        assertThat(c.accounts().smtp().from()).isEqualTo("TutorNet <me@gmail.com>");
        assertThat(seed.env()).containsEntry("LECTERN_JWT_SECRET", JWT)
                .containsEntry("LECTERN_SMTP_PASSWORD", "app-pw")
                .containsEntry("LECTERN_LOG_LEVEL", "WARN");
        assertThat(seed.ignored()).containsKeys("SECRET_KEY", "JWT_COOKIE_CSRF_PROTECT", "WORKERS",
                "REDIS_TOKEN_TTL_SECONDS");
        assertThat(seed.describe()).doesNotContain(JWT, "app-pw", "flask");
    }

    @Test
    void mailUseSslMeansImplicitTlsAndBadValuesAreErrors() {
        assertThat(load(file(Map.of("MAIL_USE_SSL", "True", "MAIL_USE_TLS", "False"))).accounts().smtp().security())
                .isEqualTo("tls");
        assertThat(load(file(Map.of("MAIL_USE_TLS", "0"))).accounts().smtp().security()).isEqualTo("none");
        assertThatThrownBy(() -> file(Map.of("MAIL_USE_TLS", "maybe")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("MAIL_USE_TLS");
        assertThatThrownBy(() -> file(Map.of("MAIL_PORT", "smtp")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("MAIL_PORT");
    }

    @Test
    void tokenLifetimeFallsBackToTheRedisTtlAndMustBeSeconds() {
        assertThat(load(file(Map.of("REDIS_TOKEN_TTL_SECONDS", "36000"))).accounts().tokenTtlSeconds())
                .isEqualTo(36000);
        // shorter than the default refresh window (an hour): the window shrinks with it
        ServerConfig shortLived = load(file(Map.of("JWT_ACCESS_TOKEN_EXPIRES", "900")));
        assertThat(shortLived.accounts().tokenTtlSeconds()).isEqualTo(900);
        assertThat(shortLived.accounts().tokenRefreshBeforeSeconds()).isEqualTo(225);
        assertThatThrownBy(() -> file(Map.of("JWT_ACCESS_TOKEN_EXPIRES", "5h")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("JWT_ACCESS_TOKEN_EXPIRES");
    }

    @Test
    void shortJwtSecretIsRefusedNamingTheSeedVariable() {
        assertThatThrownBy(() -> file(Map.of("JWT_SECRET_KEY", "short-secret")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("JWT_SECRET_KEY")
                .hasMessageNotContaining("short-secret");
    }

    @Test
    void aiVideoTutorEnvironmentWebhookSecretAndConvex() {
        SeedEnvironment seed = file(Map.of("CONVEX_URL", "https://x.convex.cloud", "CONVEX_ADMIN_KEY", "adm",
                "REDIS_URL", "redis://localhost:6379", "WEBHOOK_SECRET", "hook"));
        assertThat(seed.env()).containsEntry("LECTERN_WEBHOOK_SECRET", "hook");
        assertThat(seed.ignored()).containsKeys("CONVEX_URL", "CONVEX_ADMIN_KEY");
        assertThat(seed.describe()).contains("WEBHOOK_SECRET -> LECTERN_WEBHOOK_SECRET").doesNotContain("hook)");
    }

    @Test
    void unrelatedProcessVariablesAreNotReportedButUnknownFileVariablesAre() {
        SeedEnvironment seed = SeedEnvironment.of(Map.of("PATH", "/bin", "HOME", "/root"),
                Map.of("SOMETHING_ELSE", "x", "LECTERN_HTTP__PORT", "9090"));
        assertThat(seed.ignored()).containsOnlyKeys("SOMETHING_ELSE");
        assertThat(load(seed).http().port()).isEqualTo(9090);
        assertThat(SeedEnvironment.of(Map.of("PATH", "/bin")).isEmpty()).isTrue();
    }
}

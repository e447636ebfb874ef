package dev.lectern.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.testing.TestConfigs;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StorageAndAccountsConfigTest {
    private static ServerConfig load(Map<String, String> env) {
        return ConfigLoader.load(TestConfigs.defaultFile(), env);
    }

    @Test
    void shippedDefaultsAreTheEmbeddedStoresAndSafeAccountSettings() {
        ServerConfig c = load(Map.of());
        assertThat(c.storage().redis().enabled()).isFalse();
        assertThat(c.storage().sql().postgres()).isFalse();
        assertThat(c.storage().redis().keyPrefix()).isEqualTo("lectern:");
        assertThat(c.accounts().rateLimit().perAddressPerMinute()).isEqualTo(100);
        assertThat(c.accounts().codeResendSeconds()).isEqualTo(10);
        assertThat(c.accounts().bcryptCost()).isGreaterThanOrEqualTo(10);
        assertThat(c.accounts().smtp().enabled()).isFalse();
        assertThat(c.accounts().adminEmails()).isEmpty();
        assertThat(c.storage().objects().s3().buckets()).isEqualTo(new StorageConfig.Buckets("", ""));
    }

    @Test
    void productionStoresFromTheEnvironment() {
        ServerConfig c = load(Map.of("LECTERN_STORAGE__REDIS__URL", "redis://cache:6380/2",
                "LECTERN_STORAGE__SQL__URL", "jdbc:postgresql://db:5432/lectern",
                "LECTERN_ACCOUNTS__ADMIN_EMAILS", " Boss@Example.com ,ops@example.com"));
        assertThat(c.storage().redis().enabled()).isTrue();
        assertThat(c.storage().sql().postgres()).isTrue();
        assertThat(c.accounts().adminEmails()).containsExactly("boss@example.com", "ops@example.com");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "LECTERN_STORAGE__REDIS__URL|http://cache:6379|storage.redis.url",
        "LECTERN_STORAGE__REDIS__URL|redis://user:pw@cache:6379|LECTERN_REDIS_PASSWORD",
        "LECTERN_STORAGE__REDIS__URL|redis://cache:6379/zero|database must be a number",
        "LECTERN_STORAGE__REDIS__POOL_SIZE|0|storage.redis.poolSize",
        "LECTERN_STORAGE__SQL__URL|jdbc:mysql://db/lectern|storage.sql.url",
        "LECTERN_STORAGE__SQL__URL|jdbc:postgresql://db/lectern?password=x|LECTERN_SQL_PASSWORD",
        "LECTERN_STORAGE__SQL__CONNECT_TIMEOUT_MILLIS|10|storage.sql.connectTimeoutMillis",
        "LECTERN_ACCOUNTS__TOKEN_REFRESH_BEFORE_SECONDS|86400|accounts.tokenRefreshBeforeSeconds",
        "LECTERN_ACCOUNTS__BCRYPT_COST|3|accounts.bcryptCost",
        "LECTERN_ACCOUNTS__MIN_PASSWORD_LENGTH|4|accounts.minPasswordLength",
        "LECTERN_ACCOUNTS__LOGIN_THROTTLE__MAX_FAILURES|1|accounts.loginThrottle.maxFailures",
        "LECTERN_ACCOUNTS__SMTP__SECURITY|ssl|accounts.smtp.security",
        "LECTERN_STORAGE__OBJECTS__S3__BUCKETS__AUDIO|Lecture_Audio|storage.objects.s3.buckets.audio",
        "LECTERN_STORAGE__OBJECTS__S3__BUCKETS__CONTENT|a..b|storage.objects.s3.buckets.content"})
    void badValuesNameTheirKey(String variable, String value, String message) {
        assertThatThrownBy(() -> load(Map.of(variable, value))).isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }
}

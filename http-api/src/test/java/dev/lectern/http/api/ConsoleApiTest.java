package dev.lectern.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.config.StorageConfig;
import org.junit.jupiter.api.Test;

class ConsoleApiTest {
    private static StorageConfig.S3 s3(String bucket, String endpoint, boolean pathStyle) {
        return new StorageConfig.S3(endpoint, "us-east-1", bucket, pathStyle, "A", "B", 3);
    }

    @Test
    void signedAudioFromS3IsAllowedAsMediaAndNothingElseIs() {
        assertThat(ConsoleApi.mediaSources(s3("", "", false))).isEmpty();
        assertThat(ConsoleApi.mediaSources(s3("audio", "", false))).isEqualTo("https://*.amazonaws.com");
        assertThat(ConsoleApi.mediaSources(s3("audio", "http://minio:9000", true))).isEqualTo("http://minio:9000");
        assertThat(ConsoleApi.mediaSources(s3("audio", "https://s3.example.com/", false)))
                .isEqualTo("https://s3.example.com https://*.s3.example.com");

        String csp = ConsoleApi.contentSecurityPolicy("http://minio:9000");
        assertThat(csp).contains("media-src 'self' blob: http://minio:9000;", "connect-src 'self';",
                "script-src 'self';", "img-src 'self' data: http://minio:9000;");
        assertThat(ConsoleApi.contentSecurityPolicy("")).contains("img-src 'self' data:;", "media-src 'self' blob:;");
    }

    @Test
    void ifNoneMatchTakesListsWeakTagsAndTheWildcard() {
        assertThat(ConsoleApi.matches("\"abc\"", "\"abc\"")).isTrue();
        assertThat(ConsoleApi.matches("W/\"abc\"", "\"abc\"")).isTrue();
        assertThat(ConsoleApi.matches("\"x\", \"abc\"", "\"abc\"")).isTrue();
        assertThat(ConsoleApi.matches("*", "\"abc\"")).isTrue();
        assertThat(ConsoleApi.matches("\"abcd\"", "\"abc\"")).isFalse();
        assertThat(ConsoleApi.matches("abc", "\"abc\"")).isFalse();
        assertThat(ConsoleApi.matches("", "\"abc\"")).isFalse();
    }
}

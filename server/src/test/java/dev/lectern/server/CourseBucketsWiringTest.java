package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.config.CoursesConfig;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.objects.S3ObjectStore;
import dev.lectern.testing.S3Proxy;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code storage.objects.s3.buckets} as the server wires it, on S3Proxy: the three buckets are created at start-up,
 * recordings' keys go to the audio bucket, course materials' to the content bucket, everything else to the main one.
 */
class CourseBucketsWiringTest {
    @TempDir
    Path dir;

    @Test
    void recordingsAndMaterialsGoToTheirOwnBuckets() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        try (S3Proxy proxy = S3Proxy.start()) {
            ServerConfig config = TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", dir.toString(),
                    "LECTERN_STORAGE__OBJECTS__S3__BUCKET", "main-" + suffix,
                    "LECTERN_STORAGE__OBJECTS__S3__ENDPOINT", proxy.endpoint().toString(),
                    "LECTERN_STORAGE__OBJECTS__S3__PATH_STYLE", "true",
                    "LECTERN_STORAGE__OBJECTS__S3__BUCKETS__AUDIO", "audio-" + suffix,
                    "LECTERN_STORAGE__OBJECTS__S3__BUCKETS__CONTENT", "content-" + suffix));
            Closeables closeables = new Closeables();
            try {
                InfrastructureModule infra = new InfrastructureModule(config, new Secrets(Map.of(
                        "LECTERN_S3_ACCESS_KEY_ID", S3Proxy.IDENTITY,
                        "LECTERN_S3_SECRET_ACCESS_KEY", S3Proxy.CREDENTIAL)), closeables);
                CoursesConfig cc = config.courses();
                infra.objects.put(cc.audioBucket() + "/c1-l1.mp3", new byte[] {1});
                infra.objects.put(cc.contentBucket() + "/c1-m1.pdf", new byte[] {2});
                infra.objects.put("tts/hello.mp3", new byte[] {3});
                try (S3ObjectStore main = bucket(proxy, "main-" + suffix);
                     S3ObjectStore audio = bucket(proxy, "audio-" + suffix);
                     S3ObjectStore content = bucket(proxy, "content-" + suffix)) {
                    assertThat(audio.get(cc.audioBucket() + "/c1-l1.mp3")).get().isEqualTo(new byte[] {1});
                    assertThat(content.get(cc.contentBucket() + "/c1-m1.pdf")).get().isEqualTo(new byte[] {2});
                    assertThat(main.get("tts/hello.mp3")).get().isEqualTo(new byte[] {3});
                    assertThat(main.get(cc.audioBucket() + "/c1-l1.mp3")).isEmpty();
                    assertThat(main.get(cc.contentBucket() + "/c1-m1.pdf")).isEmpty();
                    assertThat(infra.objects.get(cc.audioBucket() + "/c1-l1.mp3")).get().isEqualTo(new byte[] {1});
                }
            } finally {
                closeables.closeAll();
            }
        }
    }

    private static S3ObjectStore bucket(S3Proxy proxy, String name) {
        return new S3ObjectStore(proxy.endpoint(), "us-east-1", name, true, S3Proxy.IDENTITY, S3Proxy.CREDENTIAL, 3,
                Clock.systemUTC());
    }
}

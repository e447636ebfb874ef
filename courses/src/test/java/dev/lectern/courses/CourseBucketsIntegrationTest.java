package dev.lectern.courses;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.CoursesConfig;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.objects.RoutedObjectStore;
import dev.lectern.core.objects.S3ObjectStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.S3Proxy;
import dev.lectern.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's separate buckets ({@code storage.objects.s3.buckets.audio} / {@code .content}) on S3Proxy: lecture
 * recordings land in the audio bucket and are played from it, course materials in the content bucket, nothing of
 * either in the main bucket.
 */
class CourseBucketsIntegrationTest {
    @TempDir
    Path dir;

    private S3Proxy proxy;
    private S3ObjectStore main;
    private S3ObjectStore audio;
    private S3ObjectStore content;
    private SqlDatabase db;
    private CourseFixture f;

    private S3ObjectStore bucket(String name) {
        return new S3ObjectStore(proxy.endpoint(), "us-east-1", name + "-" + UUID.randomUUID(), true, S3Proxy.IDENTITY,
                S3Proxy.CREDENTIAL, 3, Clock.systemUTC()).ensureBucket();
    }

    @BeforeEach
    void setUp() throws Exception {
        proxy = S3Proxy.start();
        main = bucket("main");
        audio = bucket("audio");
        content = bucket("content");
        CoursesConfig cc = TestConfigs.defaults(Map.of()).courses();
        ObjectStore routed = new RoutedObjectStore(main, Map.of(cc.audioBucket(), audio, cc.contentBucket(), content));
        db = new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", dir.toString())).storage(), null);
        f = new CourseFixture(db, dir, "", "", 10, routed);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (f != null) {
            f.close();
            f.objects.close();
        }
        if (db != null) {
            db.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void recordingsGoToTheAudioBucketAndMaterialsToTheContentBucket() throws Exception {
        Principal lena = f.user("lena", Role.TUTOR);
        Course course = f.courses.create(lena, new CourseService.CourseFields("Geology", "G1", "", "", "en"));
        Path doc = Files.writeString(dir.resolve("zorbl.txt"), "Zorbl is a violet mineral found on Kepler's moons.");
        Material m = f.materials.upload(lena, course.id(), null, "zorbl.txt", doc, Files.size(doc));
        assertThat(content.get(m.objectKey())).get().isEqualTo(Files.readAllBytes(doc));
        assertThat(main.get(m.objectKey())).isEmpty();
        assertThat(audio.get(m.objectKey())).isEmpty();
        assertThat(f.courses.search(lena, course.id(), "Where is zorbl found?", 3)).hasSize(1);

        Lecture l = f.lectures.create(lena, course.id(), new LectureService.LectureFields("Minerals", null, null));
        Path rec = Recordings.speechThenSilence(dir, "minerals.wav", "Zorbl is violet.", 2);
        Lecture stored = f.lectures.uploadRecording(lena, l.id(), "minerals.wav", rec, Files.size(rec));
        assertThat(audio.get(stored.recordingKey())).get().isEqualTo(Files.readAllBytes(rec));
        assertThat(main.get(stored.recordingKey())).isEmpty();
        assertThat(content.get(stored.recordingKey())).isEmpty();
        // the player streams it straight from the audio bucket
        String url = f.lectures.recordingUrl(lena, l.id(), Duration.ofMinutes(5));
        assertThat(url).contains(audio.bucket());
        HttpResponse<byte[]> got = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(Files.readAllBytes(rec));

        // other objects stay in the main bucket; deletes reach the bucket that holds the object
        f.objects.put("tts/hello.mp3", new byte[] {1, 2});
        assertThat(main.get("tts/hello.mp3")).isPresent();
        f.materials.delete(lena, course.id(), m.id());
        assertThat(content.get(m.objectKey())).isEmpty();
        assertThat(f.objects.purgeOlderThan(Duration.ofDays(-1))).isEqualTo(1); // tts only: uploads are kept
        assertThat(audio.get(stored.recordingKey())).isPresent();
    }
}

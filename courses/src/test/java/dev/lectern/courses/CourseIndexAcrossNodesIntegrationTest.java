package dev.lectern.courses;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.accounts.UserRepository;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.CoursesConfig;
import dev.lectern.core.config.StorageConfig;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.store.RedisEphemeralStore;
import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.JobEngine;
import dev.lectern.testing.TestConfigs;
import dev.lectern.testing.TestServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes (their own connection pools, index directories and Redis connections) sharing one PostgreSQL database,
 * one object store and one Redis: a material uploaded, a transcript recorded or corrected and a material deleted on
 * node A reach node B's course index by announcement, without a search on B and without B rebuilding the index.
 */
class CourseIndexAcrossNodesIntegrationTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final ExecutorService backgroundB = Executors.newSingleThreadExecutor();
    private CourseIndex indexA;
    private CourseIndex indexB;
    private SqlDatabase dbA;
    private CourseService coursesA;
    private CourseService coursesB;
    private MaterialService materialsA;
    private LectureService lecturesA;
    private Principal lena;

    @BeforeEach
    void setUp() throws Exception {
        TestServices.requirePostgres();
        TestServices.requireRedis();
        PostgresTestDatabase database = PostgresTestDatabase.create();
        open.add(database);
        dbA = database.open();
        open.add(dbA);
        SqlDatabase dbB = database.open();
        open.add(dbB);
        StorageConfig.Redis redis = new StorageConfig.Redis(TestServices.redisUrl(),
                "lectern-test-" + UUID.randomUUID() + ":", 4, 500, 500);
        RedisEphemeralStore busA = new RedisEphemeralStore(redis, null);
        open.add(busA);
        RedisEphemeralStore busB = new RedisEphemeralStore(redis, null);
        open.add(busB);
        LocalObjectStore objects = new LocalObjectStore(dir.resolve("objects"), new UrlSigner(new byte[32]), "/o/",
                Clock.systemUTC());
        CoursesConfig cc = TestConfigs.defaults(Map.of()).courses();
        AiConfig.Retrieval retrieval = TestConfigs.defaults(Map.of()).ai().retrieval();
        indexA = new CourseIndex(dbA, objects, retrieval, cc.minTermCoverage(), dir.resolve("a-index"),
                dir.resolve("a-tmp"), busA, Runnable::run);
        open.add(indexA);
        indexB = new CourseIndex(dbB, objects, retrieval, cc.minTermCoverage(), dir.resolve("b-index"),
                dir.resolve("b-tmp"), busB, backgroundB);
        open.add(indexB);
        coursesA = new CourseService(dbA, indexA);
        coursesB = new CourseService(dbB, indexB);
        materialsA = new MaterialService(dbA, coursesA, indexA, objects, cc.contentBucket());
        JobEngine engineA = new JobEngine(dbA, TestConfigs.defaults(Map.of()).jobs(), null,
                new SimpleMeterRegistry(), "courses"); // not started: no job runs here
        open.add(engineA);
        lecturesA = new LectureService(dbA, coursesA, indexA, objects, engineA, null, new ModelAnswers(null, ""),
                cc.audioBucket(), dir.resolve("a-tmp"));
        lena = new Principal(Long.toString(new UserRepository(dbA, Clock.systemUTC())
                .create("lena@example.org", "$2a$10$unusable", Role.TUTOR, "Lena").id()), Role.TUTOR, "t-lena");
    }

    @AfterEach
    void tearDown() throws Exception {
        backgroundB.shutdownNow();
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private Material upload(String courseId, String name, String text) throws Exception {
        Path f = Files.writeString(dir.resolve(name), text);
        return materialsA.upload(lena, courseId, null, name, f, Files.size(f));
    }

    private List<String> foundOnB(String courseId, String question) {
        return coursesB.search(lena, courseId, question, 5).stream().map(CoursePassage::text).toList();
    }

    /** Waits until B's index (never searched meanwhile) holds this many passages of the course. */
    private void awaitPassagesOnB(String courseId, int passages) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> indexB.count(courseId) == passages);
    }

    @Test
    void changesOnOneNodeAreSearchableOnTheOther() throws Exception {
        Course course = coursesA.create(lena, new CourseService.CourseFields("Geology", "G1", "", "", "en"));
        upload(course.id(), "zorbl.txt", "Zorbl is a violet mineral found only on the outer moons of Kepler.");
        // B has never seen the course: its first search builds the index from the catalogue
        assertThat(foundOnB(course.id(), "Where is zorbl found?")).singleElement().asString().contains("Kepler");
        assertThat(indexB.count(course.id())).isEqualTo(1);

        // a material indexed on A: B applies the announcement by itself
        Material vextrin = upload(course.id(), "vextrin.txt", "Vextrin is an enzyme that splits starch in cold water.");
        awaitPassagesOnB(course.id(), 2);
        long generation = dbA.query(c -> new CourseRepository().generation(c, course.id()));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> indexB.generation(course.id()) == generation);
        assertThat(foundOnB(course.id(), "What does vextrin split?")).singleElement().asString().contains("starch");

        // a transcript recorded on A (as the transcription job records it), then corrected there
        Lecture l = lecturesA.create(lena, course.id(), new LectureService.LectureFields("Minerals", "", ""));
        List<TranscriptSegment> segments = List.of(
                new TranscriptSegment(0, 0, 60_000, "Welcome to the lecture.", false),
                new TranscriptSegment(1, 60_000, 120_000, "Quorblite glows green under ultraviolet light.", false));
        long g = dbA.transaction(c -> {
            new CourseRepository().replaceSegments(c, l.id(), segments);
            return new CourseRepository().bumpGeneration(c, course.id());
        });
        indexA.apply(course.id(), CourseIndex.lectureFile(l.id()), l.title(), indexA.transcriptChunks(segments), g);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> indexB.generation(course.id()) == g);
        List<CoursePassage> onB = coursesB.search(lena, course.id(), "What glows under ultraviolet light?", 5);
        assertThat(onB).singleElement().satisfies(p -> {
            assertThat(p.source()).isEqualTo(CoursePassage.LECTURE);
            assertThat(p.startMs()).isEqualTo(60_000); // the cited segment's time
        });

        lecturesA.correct(lena, l.id(), 1, "Quorblite glows orange under ultraviolet light.");
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> indexB.generation(course.id()) == g + 1);
        assertThat(foundOnB(course.id(), "Which colour does quorblite glow?")).singleElement().asString()
                .contains("orange");

        // a material deleted on A leaves B's index without a search there
        int before = indexB.count(course.id());
        materialsA.delete(lena, course.id(), vextrin.id());
        awaitPassagesOnB(course.id(), before - 1);
        assertThat(foundOnB(course.id(), "What does vextrin split?")).isEmpty();
    }

    @Test
    void aNodeThatMissedAnnouncementsCatchesUpFromTheCatalogue() throws Exception {
        Course course = coursesA.create(lena, new CourseService.CourseFields("Biology", "B1", "", "", "en"));
        upload(course.id(), "fern.txt", "Ferns reproduce with spores released from sori under the fronds.");
        assertThat(foundOnB(course.id(), "How do ferns reproduce?")).hasSize(1);
        backgroundB.shutdown(); // B stops following announcements
        upload(course.id(), "moss.txt", "Mosses anchor themselves with rhizoids instead of roots.");
        upload(course.id(), "algae.txt", "Kelp forests grow in cold nutrient-rich coastal waters.");
        // B's next search sees it is two generations behind and rebuilds from SQL (the stored passages)
        assertThat(foundOnB(course.id(), "What do mosses anchor with?")).singleElement().asString()
                .contains("rhizoids");
        assertThat(indexB.count(course.id())).isEqualTo(3);
    }
}

package dev.lectern.courses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.FakeTranscriptionServer;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.ai.llm.ChatStreamListener;
import dev.lectern.ai.llm.LlmException;
import dev.lectern.ai.llm.Usage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Organisation, courses, materials, lectures, transcription and the course question, against each SQL dialect. */
abstract class CourseServiceContract {
    protected abstract SqlDatabase newDatabase();

    protected void afterDatabase() {}

    @TempDir
    Path dir;
    SqlDatabase db;
    FakeTranscriptionServer whisper;
    FakeModelServer modelServer;
    CourseFixture f;
    Principal admin;
    Principal lecturer;
    Principal coLecturer;
    Principal alice;
    Principal bob;

    @BeforeEach
    void open() throws Exception {
        db = newDatabase();
        whisper = new FakeTranscriptionServer();
        modelServer = new FakeModelServer();
        f = new CourseFixture(db, dir, whisper.baseUrl(), modelServer.baseUrl(), 10);
        admin = f.user("root", Role.ADMIN);
        lecturer = f.user("lena", Role.TUTOR);
        coLecturer = f.user("carl", Role.TUTOR);
        alice = f.user("alice", Role.STUDENT);
        bob = f.user("bob", Role.STUDENT);
    }

    @AfterEach
    void close() throws Exception {
        f.close();
        whisper.close();
        modelServer.close();
        db.close();
        afterDatabase();
    }

    Course course() {
        return f.courses.create(lecturer, new CourseService.CourseFields("Botany", "BIO101", "plants", "2026-autumn",
                "en"));
    }

    @Test
    void organisationAndCourseVisibility() {
        Region emea = f.org.createRegion(admin, "EMEA");
        Group cs = f.org.createGroup(admin, emea.id(), "CS 2026");
        assertStatus(403, () -> f.org.createRegion(lecturer, "APAC"));
        f.org.assignGroup(admin, alice.userId(), cs.id());

        Map<String, Object> view = f.org.user(alice, alice.userId());
        assertThat(view.get("id")).isEqualTo(alice.userId()).isInstanceOf(String.class);
        assertThat(view.get("role")).isEqualTo("student");
        assertThat(view.get("group")).isEqualTo(Map.of("id", cs.id(), "name", "CS 2026",
                "region", Map.of("id", emea.id(), "name", "EMEA")));
        assertThat(f.org.user(lecturer, lecturer.userId()).get("role")).isEqualTo("lecturer");
        assertStatus(404, () -> f.org.user(alice, bob.userId()));
        assertThat(f.org.users(admin, 100, 0)).hasSize(5);

        assertStatus(403, () -> f.courses.create(alice, new CourseService.CourseFields("x", null, null, null, null)));
        Course k = course();
        assertThat(f.courses.access(lecturer, k.id())).isEqualTo(CourseAccess.LECTURER);
        assertThat(f.courses.access(alice, k.id())).isEqualTo(CourseAccess.NONE);
        assertThat(f.courses.list(alice, 10, 0)).isEmpty();
        assertStatus(404, () -> f.courses.requireTake(alice, k.id()));
        assertStatus(404, () -> f.lectures.list(alice, k.id()));
        assertStatus(404, () -> f.courses.share(alice, k.id(), cs.id()));

        f.courses.share(lecturer, k.id(), cs.id()); // alice takes it through her group
        assertThat(f.courses.access(alice, k.id())).isEqualTo(CourseAccess.STUDENT);
        assertThat(f.courses.list(alice, 10, 0)).extracting(Course::id).containsExactly(k.id());
        assertStatus(403, () -> f.courses.update(alice, k.id(), new CourseService.CourseFields("mine", null, null,
                null, null)));
        assertThat(f.courses.access(bob, k.id())).isEqualTo(CourseAccess.NONE);
        f.courses.enrol(lecturer, k.id(), bob.userId());
        assertThat(f.courses.access(bob, k.id())).isEqualTo(CourseAccess.STUDENT);
        f.courses.unenrol(lecturer, k.id(), bob.userId());
        assertThat(f.courses.count(bob)).isZero();

        assertThat(f.courses.access(coLecturer, k.id())).isEqualTo(CourseAccess.NONE);
        assertStatus(400, () -> f.courses.addLecturer(lecturer, k.id(), alice.userId()));
        f.courses.addLecturer(lecturer, k.id(), coLecturer.userId());
        assertThat(f.courses.access(coLecturer, k.id())).isEqualTo(CourseAccess.LECTURER);
        assertThat(f.courses.update(coLecturer, k.id(), new CourseService.CourseFields(null, "BIO102", null, null,
                null)).code()).isEqualTo("BIO102");
        assertThat(f.courses.access(admin, k.id())).isEqualTo(CourseAccess.ADMIN);
        assertThat(f.courses.list(admin, 10, 0)).hasSize(1);

        Lecture l1 = f.lectures.create(lecturer, k.id(), new LectureService.LectureFields("Roots", "2026-10-01", ""));
        Lecture l2 = f.lectures.create(lecturer, k.id(), new LectureService.LectureFields("Leaves", null, null));
        assertThat(l2.position()).isEqualTo(1);
        assertThat(f.lectures.move(lecturer, l2.id(), 0)).extracting(Lecture::id).containsExactly(l2.id(), l1.id());
        assertThat(f.lectures.list(alice, k.id())).extracting(Lecture::title).containsExactly("Leaves", "Roots");
        assertStatus(403, () -> f.lectures.update(alice, l1.id(), new LectureService.LectureFields("x", null, null)));
        assertStatus(404, () -> f.lectures.get(bob, l1.id()));
        assertStatus(400, () -> f.lectures.create(lecturer, k.id(), new LectureService.LectureFields("x", "tomorrow",
                null)));
        assertStatus(403, () -> f.lectures.delete(alice, l1.id()));
        f.lectures.delete(coLecturer, l1.id());
        assertThat(f.lectures.list(alice, k.id())).extracting(Lecture::id).containsExactly(l2.id());
        assertStatus(404, () -> f.lectures.get(lecturer, l1.id()));
        f.courses.delete(lecturer, k.id());
        assertThat(f.courses.list(admin, 10, 0)).isEmpty();
        assertStatus(404, () -> f.lectures.get(lecturer, l2.id()));
    }

    @Test
    void materialsAreIndexedForTheirCourseOnly() throws Exception {
        Course k = course();
        Course other = f.courses.create(lecturer, new CourseService.CourseFields("Chemistry", null, null, null, null));
        f.courses.enrol(lecturer, k.id(), alice.userId());
        Path notes = Files.writeString(dir.resolve("ferns.md"), "Ferns reproduce with spores released from "
                + "sporangia under their fronds. Mosses also rely on spores.", StandardCharsets.UTF_8);
        Material m = f.materials.upload(lecturer, k.id(), null, "ferns.md", notes, Files.size(notes));
        assertThat(m.status()).isEqualTo("indexed");
        assertThat(m.passages()).isPositive();
        assertStatus(403, () -> f.materials.upload(alice, k.id(), null, "ferns.md", notes, Files.size(notes)));
        Path exe = Files.write(dir.resolve("evil.pdf"), new byte[] {0x4d, 0x5a, 0, 0});
        assertStatus(415, () -> f.materials.upload(lecturer, k.id(), null, "evil.pdf", exe, 4));

        List<CoursePassage> found = f.courses.search(alice, k.id(), "How do ferns reproduce?", 5);
        assertThat(found).isNotEmpty();
        assertThat(found.get(0).source()).isEqualTo(CoursePassage.MATERIAL);
        assertThat(found.get(0).name()).isEqualTo("ferns.md");
        assertThat(f.courses.search(lecturer, other.id(), "How do ferns reproduce?", 5)).isEmpty();
        assertThat(f.courses.search(alice, k.id(), "quantum chromodynamics", 5)).isEmpty();
        assertStatus(404, () -> f.courses.search(bob, k.id(), "ferns", 5));

        // a new node (an empty index directory) rebuilds the course's index from the catalogue and object store
        try (CourseIndex fresh = new CourseIndex(db, f.objects, dev.lectern.testing.TestConfigs.defaults(Map.of())
                .ai().retrieval(), 0.5, dir.resolve("index2"), dir.resolve("tmp"))) {
            assertThat(fresh.search(k.id(), "ferns spores", 5)).extracting(CoursePassage::sourceId)
                    .containsExactly(m.id());
        }
        // its passages were kept at upload; a material stored before they were (no rows) is fetched and extracted
        // once by the next rebuild, and its passages kept from then on
        List<dev.lectern.ai.retrieval.Passages.Chunk> kept = db.query(c -> new CourseRepository().passages(c, m.id()));
        assertThat(kept).isNotEmpty();
        int deleted = db.transaction(c -> dev.lectern.core.store.sql.Jdbc.update(c,
                "DELETE FROM course_material_passages WHERE material_id = ?", m.id()));
        assertThat(deleted).isEqualTo(kept.size());
        try (CourseIndex fresh = new CourseIndex(db, f.objects, dev.lectern.testing.TestConfigs.defaults(Map.of())
                .ai().retrieval(), 0.5, dir.resolve("index3"), dir.resolve("tmp"))) {
            assertThat(fresh.search(k.id(), "ferns spores", 5)).extracting(CoursePassage::sourceId)
                    .containsExactly(m.id());
        }
        List<dev.lectern.ai.retrieval.Passages.Chunk> again = db.query(c -> new CourseRepository().passages(c, m.id()));
        assertThat(again).isEqualTo(kept);
        f.materials.delete(lecturer, k.id(), m.id());
        assertThat(f.courses.search(alice, k.id(), "How do ferns reproduce?", 5)).isEmpty();
    }

    @Test
    void aRecordingIsCutTranscribedWithARetryAndCitedByTime() throws Exception {
        Course k = course();
        f.courses.enrol(lecturer, k.id(), alice.userId());
        Lecture l = f.lectures.create(lecturer, k.id(), new LectureService.LectureFields("Photosynthesis", null,
                null));
        Path rec = Recordings.speechThenSilence(dir, "lecture.mp3", "Plants turn light into sugar.", 25);
        // three pieces of 10 s; the second fails once and is retried
        whisper.answers("Welcome to the lecture on plants.",
                "Chlorophyll absorbs red and blue light inside the chloroplasts.", "Questions next week.")
                .failRequestOnce(1);
        modelServer.enqueue(FakeModelServer.answer("SUMMARY:\nPlants and light.\nKEY POINTS:\n- chlorophyll"));
        Lecture queued = f.lectures.uploadRecording(lecturer, l.id(), "lecture.mp3", rec, Files.size(rec));
        assertThat(queued.transcriptStatus()).isEqualTo(Lecture.T_QUEUED);
        assertThat(queued.durationMs()).isBetween(24_000L, 26_000L);
        await().atMost(Duration.ofSeconds(60)).until(() -> f.lectures.get(lecturer, l.id()).transcriptStatus()
                .equals(Lecture.T_TRANSCRIBED));
        assertThat(whisper.requests()).isEqualTo(4);
        await().atMost(Duration.ofSeconds(30)).until(() -> f.lectures.get(lecturer, l.id()).notesStatus()
                .equals("done"));

        List<TranscriptSegment> segments = f.lectures.transcript(alice, l.id());
        assertThat(segments).hasSize(3);
        assertThat(segments.get(1).startMs()).isBetween(9_500L, 10_500L);
        assertThat(segments.get(1).text()).contains("Chlorophyll");
        assertThat(segments.get(2).endMs()).isBetween(24_000L, 26_000L);
        String vtt = f.lectures.webVtt(alice, l.id());
        assertThat(vtt).startsWith("WEBVTT\n\n1\n00:00:00.000 --> 00:00:1").contains("\n2\n00:00:10.")
                .contains("Chlorophyll absorbs");

        List<CoursePassage> found = f.courses.search(alice, k.id(), "What absorbs light in chloroplasts?", 5);
        assertThat(found).isNotEmpty();
        assertThat(found.get(0).source()).isEqualTo(CoursePassage.LECTURE);
        assertThat(found.get(0).sourceId()).isEqualTo(l.id());
        assertThat(found.get(0).citation()).isEqualTo("Photosynthesis @ 0:10");

        // the lecturer's correction is what the course finds from now on
        assertStatus(403, () -> f.lectures.correct(alice, l.id(), 2, "x"));
        f.lectures.correct(lecturer, l.id(), 2, "Questions about stomata next week.");
        assertThat(f.lectures.transcript(alice, l.id()).get(2).corrected()).isTrue();
        assertThat(f.courses.search(alice, k.id(), "stomata", 5)).extracting(CoursePassage::citation)
                .containsExactly("Photosynthesis @ 0:20");

        // the course question: the model is given the numbered sources and its answer streams back
        modelServer.enqueue(FakeModelServer.answer("Chlorophyll ", "absorbs it [1]."));
        CourseQuery.Prepared q = f.query.prepare(alice, k.id(), "What absorbs light in chloroplasts?");
        assertThat(q.grounded()).isTrue();
        assertThat(q.sources().get(0).citation()).isEqualTo("Photosynthesis @ 0:10");
        assertThat(streamed(q)).isEqualTo("Chlorophyll absorbs it [1].");
        assertThat(modelServer.requests().get(1).toString()).contains("[1] Photosynthesis @ 0:10");
        assertThat(f.query.prepare(alice, k.id(), "Who won the 1998 world cup?").grounded()).isFalse();
        assertStatus(404, () -> f.query.prepare(bob, k.id(), "light"));
    }

    @Test
    void theNotesJobWritesASummaryAndKeyPoints() throws Exception {
        Course k = course();
        Lecture l = f.lectures.create(lecturer, k.id(), new LectureService.LectureFields("Roots", null, null));
        Path rec = Recordings.speechThenSilence(dir, "roots.wav", "Roots take up water.", 5);
        whisper.answer("Roots take up water and minerals from the soil.");
        modelServer.enqueue(FakeModelServer.answer("SUMMARY:\nRoots absorb water.\nKEY POINTS:\n- water\n",
                "- minerals"));
        f.lectures.uploadRecording(lecturer, l.id(), "roots.wav", rec, Files.size(rec));
        await().atMost(Duration.ofSeconds(60)).until(() -> f.lectures.get(lecturer, l.id()).notesStatus()
                .equals("done"));
        Lecture done = f.lectures.get(lecturer, l.id());
        assertThat(done.summary()).isEqualTo("Roots absorb water.");
        assertThat(done.keyPoints()).isEqualTo("- water\n- minerals");
        assertThat(modelServer.requests().get(0).toString()).contains("Roots take up water and minerals");
    }

    @Test
    void withoutATranscriptionServiceTheRecordingIsKeptNotTranscribed() throws Exception {
        f.close(); // one engine per database: this test's fixture has neither a transcription service nor a model
        f = new CourseFixture(db, dir.resolve("bare"), "", "", 10);
        CourseFixture bare = f;
        {
            Principal lena = bare.user("lena2", Role.TUTOR);
            Course k = bare.courses.create(lena, new CourseService.CourseFields("Art", null, null, null, null));
            Lecture l = bare.lectures.create(lena, k.id(), new LectureService.LectureFields("Colour", null, null));
            Path rec = Recordings.speechThenSilence(dir, "colour.wav", "Red and blue make purple.", 3);
            Lecture stored = bare.lectures.uploadRecording(lena, l.id(), "colour.wav", rec, Files.size(rec));
            assertThat(stored.transcriptStatus()).isEqualTo(Lecture.T_NOT_TRANSCRIBED);
            assertThat(stored.transcriptReason()).contains("no transcription service");
            assertThat(bare.objects.get(stored.recordingKey())).isPresent();
            Path text = Files.writeString(dir.resolve("not-audio.mp3"), "hello");
            assertStatus(415, () -> bare.lectures.uploadRecording(lena, l.id(), "not-audio.mp3", text, 5));
        }
    }

    /** The model's answer to a prepared question, streamed and collected. */
    String streamed(CourseQuery.Prepared q) throws Exception {
        CompletableFuture<String> done = new CompletableFuture<>();
        f.query.model().stream(q.messages(), 200, new CourseFixtureListener(new StringBuilder(), done))
                .request(Long.MAX_VALUE);
        return done.get(30, TimeUnit.SECONDS);
    }

    record CourseFixtureListener(StringBuilder text, CompletableFuture<String> done) implements ChatStreamListener {
        @Override
        public void onText(String t, long receivedNanos) {
            text.append(t);
        }

        @Override
        public void onComplete(String finishReason, Usage usage) {
            done.complete(text.toString());
        }

        @Override
        public void onError(LlmException error) {
            done.completeExceptionally(error);
        }
    }

    @Test
    void examsReachTheCourseThroughThePort() throws Exception {
        CourseServiceExamCourses port = new CourseServiceExamCourses(db, f.courses, f.index);
        Course k = course();
        f.courses.enrol(lecturer, k.id(), alice.userId());
        Region emea = f.org.createRegion(admin, "EMEA");
        Group cs = f.org.createGroup(admin, emea.id(), "CS 2026");
        f.org.assignGroup(admin, bob.userId(), cs.id());
        assertThat(port.mayTake(bob, k.id())).isFalse();
        f.courses.share(lecturer, k.id(), cs.id());
        assertThat(port.mayTake(alice, k.id())).isTrue();
        assertThat(port.mayTake(bob, k.id())).isTrue();
        assertThat(port.mayTeach(alice, k.id())).isFalse();
        assertThat(port.mayTeach(lecturer, k.id())).isTrue();
        assertThat(port.mayTeach(admin, k.id())).isTrue();
        assertThat(port.mayTake(lecturer, k.id())).isFalse(); // lecturers author exams, they do not sit them
        assertThat(port.mayTeach(coLecturer, k.id())).isFalse();
        assertThat(port.mayTeach(lecturer, "no-such-course")).isFalse();

        Lecture roots = f.lectures.create(lecturer, k.id(), new LectureService.LectureFields("Roots", null, null));
        db.transaction(c -> {
            new CourseRepository().replaceSegments(c, roots.id(), List.of(
                    new TranscriptSegment(0, 0, 4_000, "Roots take up water.", false),
                    new TranscriptSegment(1, 4_000, 9_000, "  ", false),
                    new TranscriptSegment(2, 65_000, 70_000, "Root hairs widen the surface.", false)));
            return null;
        });
        Path notes = Files.writeString(dir.resolve("ferns.md"), "Ferns reproduce with spores.",
                StandardCharsets.UTF_8);
        Material ferns = f.materials.upload(lecturer, k.id(), null, "ferns.md", notes, Files.size(notes));

        List<dev.lectern.courses.exams.ExamCourses.Passage> all = port.passages(k.id(), List.of(), 10);
        assertThat(all).extracting(p -> p.id()).hasSize(3).startsWith("lecture:" + roots.id() + ":0",
                "lecture:" + roots.id() + ":2");
        assertThat(all.get(1).title()).isEqualTo("Roots @ 1:05");
        assertThat(all.get(2).id()).startsWith("material:" + ferns.id() + ":p");
        assertThat(all.get(2).text()).contains("Ferns reproduce with spores.");
        assertThat(all.get(2).sourceId()).isEqualTo(ferns.id());
        assertThat(port.passages(k.id(), List.of(ferns.id()), 10)).containsExactly(all.get(2));
        assertThat(port.passages(k.id(), List.of(), 1)).containsExactly(all.get(0));
        for (var p : all) {
            assertThat(port.passage(k.id(), p.id())).contains(p);
        }
        Course other = course();
        assertThat(port.passage(other.id(), all.get(0).id())).isEmpty();
        assertThat(port.passage(other.id(), all.get(2).id())).isEmpty();
        assertThat(port.passage(k.id(), "lecture:" + roots.id() + ":1")).isEmpty();
        assertThat(port.passage(k.id(), "lecture:x")).isEmpty();
        assertThat(port.passages(other.id(), List.of(), 10)).isEmpty();
    }

    static void assertStatus(int status, Executable call) {
        assertThatThrownBy(call::execute).isInstanceOfSatisfying(ServiceException.class,
                e -> assertThat(e.status()).isEqualTo(status));
    }
}

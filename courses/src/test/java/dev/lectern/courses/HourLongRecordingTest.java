package dev.lectern.courses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lectern.ai.testing.FakeTranscriptionServer;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.Job;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An hour-long lecture (speech, then silence, made with espeak-ng and ffmpeg) is cut into 5-minute pieces, each sent
 * to the transcription service, and joined with their times; the job reports its progress piece by piece.
 */
class HourLongRecordingTest {
    @TempDir
    Path dir;

    @Test
    void anHourIsCutIntoTimedPiecesAndJoined() throws Exception {
        try (SqlDatabase db = new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR",
                dir.resolve("data").toString())).storage(), null);
             FakeTranscriptionServer whisper = new FakeTranscriptionServer();
             CourseFixture f = new CourseFixture(db, dir, whisper.baseUrl(), "", 300)) {
            Principal lena = f.user("lena", Role.TUTOR);
            Course k = f.courses.create(lena, new CourseService.CourseFields("Long", null, null, null, null));
            Lecture l = f.lectures.create(lena, k.id(), new LectureService.LectureFields("The whole hour", null,
                    null));
            Path hour = Recordings.speechThenSilence(dir, "hour.mp3", "Welcome to a long lecture.", 3600);
            String[] answers = new String[12];
            for (int i = 0; i < 12; i++) {
                answers[i] = "Minute " + (i * 5) + " of the lecture.";
            }
            whisper.answers(answers).failRequestOnce(7);
            Lecture queued = f.lectures.uploadRecording(lena, l.id(), "hour.mp3", hour, Files.size(hour));
            assertThat(queued.durationMs()).isBetween(3_599_000L, 3_601_000L);
            await().atMost(Duration.ofMinutes(5)).until(() -> !f.lectures.get(lena, l.id()).transcriptStatus()
                    .matches("queued|transcribing"));

            Lecture done = f.lectures.get(lena, l.id());
            assertThat(done.transcriptStatus()).isEqualTo(Lecture.T_TRANSCRIBED);
            List<TranscriptSegment> segments = f.lectures.transcript(lena, l.id());
            assertThat(segments).hasSize(12);
            for (int i = 0; i < 12; i++) {
                assertThat(segments.get(i).startMs()).isBetween(i * 300_000L - 500, i * 300_000L + 500);
                assertThat(segments.get(i).text()).isEqualTo("Minute " + (i * 5) + " of the lecture.");
            }
            assertThat(segments.get(11).endMs()).isBetween(3_599_000L, 3_601_000L);
            assertThat(whisper.requests()).isEqualTo(13); // one piece failed once and was retried
            Job job = f.engine.find(done.transcriptJobId()).orElseThrow();
            assertThat(job.progressMessage()).isEqualTo("piece 12 of 12");
            assertThat(f.courses.search(lena, k.id(), "minute 35", 3)).first()
                    .extracting(CoursePassage::citation).isEqualTo("The whole hour @ 35:00");
        }
    }
}

package dev.lectern.lessons.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lectern.lessons.plan.Cancellation;
import dev.lectern.lessons.testing.MediaTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ffmpeg child process: found or clearly missing, killed on cancel and on timeout, its failures explained. */
class FfmpegTest {
    /** Decodes silence for ever: only a kill ends it. */
    private static final List<String> ENDLESS = List.of("-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-f", "null",
            "-");

    @TempDir
    Path dir;

    @BeforeEach
    void media() {
        MediaTools.require();
    }

    private static boolean ffmpegChildAlive() {
        return ProcessHandle.current().descendants().anyMatch(p -> p.isAlive()
                && p.info().command().map(c -> c.endsWith("ffmpeg")).orElse(false));
    }

    @Test
    void cancelKillsTheRunningProcess() throws Exception {
        Ffmpeg ffmpeg = new Ffmpeg("", 600_000);
        Cancellation cancel = new Cancellation();
        CompletableFuture<Void> run = CompletableFuture.runAsync(() -> ffmpeg.run(ENDLESS, dir, "log", cancel));
        await().atMost(Duration.ofSeconds(30)).until(FfmpegTest::ffmpegChildAlive);
        cancel.cancel();
        assertThatThrownBy(() -> run.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(RenderException.class)
                .cause().satisfies(e -> assertThat(((RenderException) e).code()).isEqualTo("cancelled"));
        assertThat(ffmpegChildAlive()).isFalse();
    }

    @Test
    void aRunPastItsTimeLimitIsKilled() {
        Ffmpeg ffmpeg = new Ffmpeg("", 1000);
        assertThatThrownBy(() -> ffmpeg.run(ENDLESS, dir, "log", Cancellation.none()))
                .isInstanceOfSatisfying(RenderException.class, e -> {
                    assertThat(e.code()).isEqualTo("render_timeout");
                    assertThat(e.getMessage()).contains("lessons.encodeTimeoutMillis");
                });
        assertThat(ffmpegChildAlive()).isFalse();
    }

    @Test
    void aFailedRunReportsTheLogWithoutTheWorkPath() throws Exception {
        Ffmpeg ffmpeg = new Ffmpeg("", 60_000);
        assertThatThrownBy(() -> ffmpeg.run(List.of("-i", "missing-input.wav", "out.mp4"), dir, "log",
                Cancellation.none())).isInstanceOfSatisfying(RenderException.class, e -> {
                    assertThat(e.code()).isEqualTo("ffmpeg_failed");
                    assertThat(e.getMessage()).contains("missing-input.wav").doesNotContain(dir.toString());
                });
    }

    @Test
    void aWorkAlreadyCancelledStartsNothing() {
        Cancellation cancel = new Cancellation();
        cancel.cancel();
        assertThatThrownBy(() -> new Ffmpeg("", 60_000).run(ENDLESS, dir, "log", cancel))
                .isInstanceOfSatisfying(RenderException.class, e -> assertThat(e.code()).isEqualTo("cancelled"));
        assertThat(dir.resolve("log")).doesNotExist();
    }

    @Test
    void aConfiguredPathThatIsNoExecutableIsNotFound() throws Exception {
        Path notExecutable = Files.writeString(dir.resolve("ffmpeg"), "#!/bin/sh\n");
        assertThatThrownBy(() -> new Ffmpeg(notExecutable.toString(), 1000).executable())
                .isInstanceOfSatisfying(RenderException.class, e -> assertThat(e.code()).isEqualTo("ffmpeg_not_found"));
        Path fake = Files.writeString(dir.resolve("fake-ffmpeg"), "#!/bin/sh\necho 'no encoders here'\n");
        fake.toFile().setExecutable(true);
        assertThatThrownBy(() -> new Ffmpeg(fake.toString(), 1000).executable())
                .isInstanceOfSatisfying(RenderException.class,
                        e -> assertThat(e.code()).isEqualTo("ffmpeg_unsupported"));
    }
}

package dev.lectern.lessons.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lectern.ai.testing.FakeTtsServer;
import dev.lectern.ai.tts.EspeakTts;
import dev.lectern.ai.tts.HttpTts;
import dev.lectern.core.config.Secret;
import dev.lectern.lessons.plan.Cancellation;
import dev.lectern.lessons.testing.MediaTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Dsl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Narration through the real espeak-ng, and through an OpenAI-compatible TTS endpoint answering real MP3. */
class NarratorIntegrationTest {
    private static final String TEXT = "Calculus studies change. The derivative measures how fast a quantity changes "
            + "at one instant, e.g. a speed. Integrals add up!";

    @TempDir
    Path dir;
    private ExecutorService executor;
    private Ffmpeg ffmpeg;

    @BeforeEach
    void setUp() {
        MediaTools.require();
        executor = Executors.newFixedThreadPool(3);
        ffmpeg = new Ffmpeg("", 60_000);
    }

    @AfterEach
    void tearDown() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    @Test
    void eachSentenceIsTimedExactlyInOneWavFile() throws Exception {
        Narrator narrator = new Narrator(new EspeakTts("espeak-ng", "", executor, 30_000), ffmpeg, 60_000);
        Narration n = narrator.narrate(TEXT, "", dir.resolve("n.wav"), Cancellation.none());
        assertThat(n.sentences()).extracting(Narration.TimedText::text).containsExactly("Calculus studies change.",
                "The derivative measures how fast a quantity changes at one instant, e.g. a speed.", "Integrals add up!");
        assertThat(n.sentences().get(0).startSeconds()).isZero();
        for (int i = 1; i < 3; i++) {
            assertThat(n.sentences().get(i).startSeconds()).isEqualTo(n.sentences().get(i - 1).endSeconds());
        }
        assertThat(n.sentences().get(2).endSeconds()).isEqualTo(n.durationSeconds());
        Narration.TimedText longest = n.sentences().get(1);
        assertThat(longest.endSeconds() - longest.startSeconds())
                .isGreaterThan(2 * (n.sentences().get(0).endSeconds() - n.sentences().get(0).startSeconds()));
        assertThat(MediaTools.duration(n.audio())).isCloseTo(n.durationSeconds(), within(0.01));
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(dir.resolve("n.wav"));
        }
        // another voice is another voice
        Narration us = narrator.narrate(TEXT, "en-us", dir.resolve("us.wav"), Cancellation.none());
        assertThat(Arrays.equals(Files.readAllBytes(us.audio()), Files.readAllBytes(n.audio()))).isFalse();
    }

    @Test
    void mp3FromAnHttpProviderIsDecodedAndSpokenInTheScenesVoice() throws Exception {
        Path mp3 = dir.resolve("tone.mp3");
        MediaTools.run(List.of("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1.5",
                "-c:a", "libmp3lame", "-b:a", "64k", mp3.toString()));
        try (FakeTtsServer server = new FakeTtsServer(); AsyncHttpClient http = Dsl.asyncHttpClient()) {
            server.audio = Files.readAllBytes(mp3);
            HttpTts tts = HttpTts.openAi(server.baseUrl() + "/v1", "", "alloy",
                    Optional.of(new Secret("KEY", "sk-test")), http, Duration.ofSeconds(10));
            Narration n = new Narrator(tts, ffmpeg, 60_000).narrate(TEXT, "nova", dir.resolve("n.wav"),
                    Cancellation.none());
            assertThat(server.calls).hasSize(3);
            assertThat(server.calls).allSatisfy(c -> assertThat(c.body().path("voice").asText()).isEqualTo("nova"));
            assertThat(server.calls).extracting(c -> c.body().path("input").asText())
                    .containsExactlyInAnyOrder("Calculus studies change.", "Integrals add up!",
                            "The derivative measures how fast a quantity changes at one instant, e.g. a speed.");
            for (Narration.TimedText s : n.sentences()) {
                assertThat(s.endSeconds() - s.startSeconds()).isCloseTo(1.5, within(0.1));
            }
            try (var files = Files.list(dir)) {
                assertThat(files).containsExactlyInAnyOrder(mp3, dir.resolve("n.wav")); // clips removed
            }
        }
    }

    @Test
    void withoutTtsOrWithABadVoiceNarrationFailsClearly() {
        assertThatThrownBy(() -> new Narrator(null, ffmpeg, 1000).narrate(TEXT, "", dir.resolve("n.wav"),
                Cancellation.none())).isInstanceOfSatisfying(RenderException.class,
                        e -> assertThat(e.code()).isEqualTo("tts_not_configured"));
        Narrator narrator = new Narrator(new EspeakTts("espeak-ng", "", executor, 30_000), ffmpeg, 60_000);
        assertThatThrownBy(() -> narrator.narrate(TEXT, "--stdout; rm -rf /", dir.resolve("n.wav"),
                Cancellation.none())).isInstanceOfSatisfying(RenderException.class,
                        e -> assertThat(e.code()).isEqualTo("invalid_voice"));
        assertThat(dir.resolve("n.wav")).doesNotExist();
    }
}

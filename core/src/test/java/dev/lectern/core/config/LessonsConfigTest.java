package dev.lectern.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.testing.TestConfigs;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LessonsConfigTest {
    private static LessonsConfig load(Map<String, String> env) {
        return ConfigLoader.load(TestConfigs.defaultFile(), env).lessons();
    }

    @Test
    void shippedDefaultsRender720pFromFfmpegOnThePath() {
        LessonsConfig c = load(Map.of());
        assertThat(c.ffmpegPath()).isEmpty();
        assertThat(c.width()).isEqualTo(1280);
        assertThat(c.height()).isEqualTo(720);
        assertThat(c.x264Preset()).isEqualTo("veryfast");
        assertThat(c.maxParallelRenders()).isPositive();
    }

    @Test
    void tenEightyAndAnFfmpegPathFromTheEnvironment() {
        LessonsConfig c = load(Map.of("LECTERN_LESSONS__WIDTH", "1920", "LECTERN_LESSONS__HEIGHT", "1080",
                "LECTERN_LESSONS__FFMPEG_PATH", " /opt/ffmpeg/bin/ffmpeg "));
        assertThat(c.width()).isEqualTo(1920);
        assertThat(c.ffmpegPath()).isEqualTo("/opt/ffmpeg/bin/ffmpeg");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "LECTERN_LESSONS__HEIGHT|1080|lessons.width/height: 1280x1080",
        "LECTERN_LESSONS__WIDTH|1281|lessons.width/height",
        "LECTERN_LESSONS__FRAME_RATE|0|lessons.frameRate",
        "LECTERN_LESSONS__X264_PRESET|placebo|lessons.x264Preset",
        "LECTERN_LESSONS__MAX_PARALLEL_RENDERS|0|lessons.maxParallelRenders",
        "LECTERN_LESSONS__ENCODE_TIMEOUT_MILLIS|10|lessons.encodeTimeoutMillis"})
    void badValuesNameTheirKey(String variable, String value, String message) {
        assertThatThrownBy(() -> load(Map.of(variable, value))).isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }
}

package dev.lectern.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.testing.TestConfigs;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExamsConfigTest {
    private static ExamsConfig load(Map<String, String> env) {
        return ConfigLoader.load(TestConfigs.defaultFile(), env).exams();
    }

    @Test
    void shippedDefaultsUseTheDefaultModelAndDebiansDejaVu() {
        ExamsConfig c = load(Map.of());
        assertThat(c.modelTimeoutMillis()).isEqualTo(180_000);
        assertThat(c.gradingModel()).isEmpty();
        assertThat(c.fontDir()).isEqualTo("/usr/share/fonts/truetype/dejavu");
    }

    @Test
    void overridesFromTheEnvironment() {
        ExamsConfig c = load(Map.of("LECTERN_EXAMS__MODEL_TIMEOUT_MILLIS", "60000",
                "LECTERN_EXAMS__GRADING_MODEL", " grader-large ", "LECTERN_EXAMS__FONT_DIR", "/opt/fonts"));
        assertThat(c.modelTimeoutMillis()).isEqualTo(60_000);
        assertThat(c.gradingModel()).isEqualTo("grader-large");
        assertThat(c.fontDir()).isEqualTo("/opt/fonts");
    }

    @Test
    void aTimeoutOutOfRangeNamesItsKey() {
        assertThatThrownBy(() -> load(Map.of("LECTERN_EXAMS__MODEL_TIMEOUT_MILLIS", "10")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("exams.modelTimeoutMillis");
    }
}

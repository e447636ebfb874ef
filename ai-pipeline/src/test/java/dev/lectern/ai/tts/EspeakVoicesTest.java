package dev.lectern.ai.tts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link EspeakTts#voices}: what start-up learns of the engine's voices, and that it never holds start-up. */
class EspeakVoicesTest {
    @TempDir
    Path dir;

    private Path script(String body) throws Exception {
        Path s = dir.resolve("espeak-" + body.hashCode());
        Files.writeString(s, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
        return s;
    }

    @Test
    void theLanguageColumnOfTheListingIsTheVoices() throws Exception {
        Path s = script("echo 'Pty Language       Age/Gender VoiceName          File                 Other Languages'\n"
                + "echo ' 5  af              --/M      Afrikaans          gmw/af'\n"
                + "echo ' 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)'\n");
        assertThat(EspeakTts.voices(s.toString())).containsExactly("af", "en-us");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void anEngineThatKeepsItsOutputOpenIsGivenUpAndKilled() throws Exception {
        // a wrapper that lists voices, then waits (reading its standard input, or for a gate file) before it ends
        Path s = script("echo header\necho ' 5  af  --/M  Afrikaans  gmw/af'\ncat\nsleep 60\n");
        List<String> voices = EspeakTts.voices(s.toString());
        assertThat(voices).isEmpty();
    }

    @Test
    void aMissingEngineHasNoVoices() {
        assertThat(EspeakTts.voices(dir.resolve("no-such-espeak").toString())).isEmpty();
    }
}

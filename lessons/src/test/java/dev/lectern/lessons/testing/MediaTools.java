package dev.lectern.lessons.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.tts.EspeakTts;
import dev.lectern.core.config.LessonsConfig;
import dev.lectern.core.json.Json;
import dev.lectern.testing.TestConfigs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * What the lesson tests run for real: espeak-ng, ffmpeg and ffprobe (Debian packages, installed by bin/test-deps).
 * Missing ones skip the test with the reason, except under {@code CI=true}, where they fail it.
 */
public final class MediaTools {
    private MediaTools() {}

    public static void require() {
        String reason = null;
        if (!EspeakTts.available("espeak-ng")) {
            reason = "espeak-ng is not installed (apt-get install espeak-ng)";
        } else if (!runs("ffmpeg", "-version") || !runs("ffprobe", "-version")) {
            reason = "ffmpeg/ffprobe are not installed (apt-get install ffmpeg)";
        }
        if (reason != null && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("the lesson rendering tests need it: " + reason);
        }
        Assumptions.assumeTrue(reason == null, reason);
    }

    /** The shipped lessons config with the given env-style overrides ({@code LECTERN_LESSONS__…}). */
    public static LessonsConfig config(Map<String, String> overrides) {
        return TestConfigs.defaults(overrides).lessons();
    }

    private static boolean runs(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs a tool to the end and returns its standard output; fails the test on a non-zero exit. */
    public static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError(cmd + " failed");
        }
        return out;
    }

    /** {@code ffprobe -show_format -show_streams} of a media file, as JSON. */
    public static JsonNode probe(Path file) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                "-show_streams", file.toString()));
        return Json.MAPPER.readTree(run(cmd));
    }

    public static double duration(Path file) throws IOException, InterruptedException {
        return probe(file).path("format").path("duration").asDouble(-1);
    }
}

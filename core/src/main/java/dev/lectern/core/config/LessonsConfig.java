package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkRange;

import java.util.Set;

/**
 * Lesson videos: where {@code ffmpeg} is, the frame size and rate every scene is encoded at (one set of codec
 * parameters for all scenes, so that a lesson is joined by stream copy), how many encodes run at once, and the time
 * limits of planning, narration and each {@code ffmpeg} run; how many bytes of lesson media (videos, captions, posters
 * of every kept version) one user may store.
 */
public record LessonsConfig(String ffmpegPath, int width, int height, int frameRate, String x264Preset, int crf,
                            int audioBitrateKbps, int maxParallelRenders, int maxScenes, long planTimeoutMillis,
                            long narrationTimeoutMillis, long encodeTimeoutMillis, long mediaQuotaBytes) {
    private static final Set<String> PRESETS = Set.of("ultrafast", "superfast", "veryfast", "faster", "fast",
            "medium", "slow");

    public LessonsConfig {
        ffmpegPath = ffmpegPath == null ? "" : ffmpegPath.strip();
        checkRange(width, 320, 3840, "lessons.width");
        checkRange(height, 180, 2160, "lessons.height");
        if (width % 2 != 0 || height % 2 != 0 || (long) width * 9 != (long) height * 16) {
            throw new ConfigException("lessons.width/height: " + width + "x" + height
                    + " (expected: even numbers in 16:9, e.g. 1280x720 or 1920x1080)");
        }
        checkRange(frameRate, 1, 60, "lessons.frameRate");
        if (x264Preset == null || !PRESETS.contains(x264Preset)) {
            throw new ConfigException("lessons.x264Preset: " + x264Preset + " (expected one of " + PRESETS + ")");
        }
        checkRange(crf, 0, 51, "lessons.crf");
        checkRange(audioBitrateKbps, 32, 320, "lessons.audioBitrateKbps");
        checkRange(maxParallelRenders, 1, 64, "lessons.maxParallelRenders");
        checkRange(maxScenes, 1, 100, "lessons.maxScenes");
        checkRange(planTimeoutMillis, 1000, 3_600_000, "lessons.planTimeoutMillis");
        checkRange(narrationTimeoutMillis, 1000, 3_600_000, "lessons.narrationTimeoutMillis");
        checkRange(encodeTimeoutMillis, 1000, 3_600_000, "lessons.encodeTimeoutMillis");
        if (mediaQuotaBytes < 1024) {
            throw new ConfigException("lessons.mediaQuotaBytes: " + mediaQuotaBytes + " (expected at least 1024)");
        }
    }
}

package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkPositive;
import static dev.lectern.core.config.Checks.checkRange;

/**
 * Courses and lectures (issue 24): the object-store buckets of recordings and of course content (the seed's separate
 * audio and content buckets), upload limits, how recordings are cut for transcription ({@code ffmpeg}, segment
 * length, attempts per segment), and the course question answer's retrieval.
 */
public record CoursesConfig(String audioBucket, String contentBucket, long maxRecordingBytes, long maxMaterialBytes,
                            String ffmpegPath, int segmentSeconds, int segmentAttempts, long segmentRetryMillis,
                            int topPassages, double minTermCoverage, int answerMaxTokens) {
    public CoursesConfig {
        audioBucket = bucket(audioBucket, "courses.audioBucket");
        contentBucket = bucket(contentBucket, "courses.contentBucket");
        checkRange(maxRecordingBytes, 1024, 64L * 1024 * 1024 * 1024, "courses.maxRecordingBytes");
        checkRange(maxMaterialBytes, 1024, 4L * 1024 * 1024 * 1024, "courses.maxMaterialBytes");
        ffmpegPath = ffmpegPath == null ? "" : ffmpegPath.strip();
        checkRange(segmentSeconds, 10, 3600, "courses.segmentSeconds");
        checkRange(segmentAttempts, 1, 10, "courses.segmentAttempts");
        checkRange(segmentRetryMillis, 0, 600_000, "courses.segmentRetryMillis");
        checkRange(topPassages, 1, 50, "courses.topPassages");
        if (!(minTermCoverage > 0 && minTermCoverage <= 1)) {
            throw new ConfigException("courses.minTermCoverage: " + minTermCoverage + " (expected: >0-1)");
        }
        checkPositive(answerMaxTokens, "courses.answerMaxTokens");
    }

    /** The ffmpeg binary to run: the configured path, else {@code ffmpeg} on PATH. */
    public String ffmpeg() {
        return ffmpegPath.isEmpty() ? "ffmpeg" : ffmpegPath;
    }

    /** ffprobe beside the configured ffmpeg, else {@code ffprobe} on PATH. */
    public String ffprobe() {
        if (ffmpegPath.isEmpty()) {
            return "ffprobe";
        }
        int slash = ffmpegPath.lastIndexOf('/');
        return slash < 0 ? "ffprobe" : ffmpegPath.substring(0, slash + 1) + "ffprobe";
    }

    private static String bucket(String value, String key) {
        // uploads-…: the object store never purges these by age (see ObjectStore.kept)
        if (value == null || !value.matches("uploads-[A-Za-z0-9._-]{1,56}") || value.contains("..")) {
            throw new ConfigException(key + ": " + value + " (expected uploads-<name>, [A-Za-z0-9._-]: buckets named"
                    + " uploads-… are kept until deleted)");
        }
        return value;
    }
}

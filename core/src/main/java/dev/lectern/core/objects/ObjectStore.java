package dev.lectern.core.objects;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where objects (TTS audio, uploads) live: a local directory by default ({@link LocalObjectStore}). A key is
 * {@code bucket/name}, each part {@code [A-Za-z0-9._-]} without {@code ..}. Methods block (files, network): call them
 * from the blocking executor.
 */
public interface ObjectStore extends AutoCloseable {
    Pattern PART = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

    /** The bucket of users' uploads: kept until the user deletes them, never purged by age. */
    String UPLOADS = "uploads";

    /** The bucket of lesson videos, captions and posters: kept (their versions are pruned by the lessons' quota). */
    String LESSONS = "lessons";

    /**
     * Whether the age purge keeps this bucket's objects: uploads, lessons, and every bucket named {@code uploads-…}
     * (course recordings and materials).
     */
    static boolean kept(String bucket) {
        return UPLOADS.equals(bucket) || LESSONS.equals(bucket) || bucket.startsWith(UPLOADS + "-");
    }

    void put(String key, byte[] bytes);

    /** Stores the file's content under {@code key}, streaming it (never whole in memory). */
    void put(String key, Path file);

    Optional<byte[]> get(String key);

    /** Whether there is an object under {@code key} (the stores answer without reading it). */
    default boolean exists(String key) {
        return get(key).isPresent();
    }

    /** Copies the object into {@code target} (streaming); false when there is no such object. */
    boolean copyTo(String key, Path target);

    boolean delete(String key);

    /** A URL the browser can GET the object from until {@code ttl} has passed. */
    String signedUrl(String key, Duration ttl);

    /** Removes objects older than {@code age}, except those of {@link #kept} buckets; returns how many. */
    int purgeOlderThan(Duration age);

    @Override
    default void close() {}

    /** Throws {@link IllegalArgumentException} unless the key is {@code bucket/name} with safe parts. */
    static String checkKey(String key) {
        int slash = key == null ? -1 : key.indexOf('/');
        if (slash < 0 || !isPart(key.substring(0, slash)) || !isPart(key.substring(slash + 1))) {
            throw new IllegalArgumentException("object key must be bucket/name with [A-Za-z0-9._-] parts");
        }
        return key;
    }

    static boolean isPart(String part) {
        return part != null && PART.matcher(part).matches() && !part.contains("..");
    }

    /** The content type for a key, from its extension. */
    static String contentType(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        if (k.endsWith(".mp3")) {
            return "audio/mpeg";
        }
        if (k.endsWith(".wav")) {
            return "audio/wav";
        }
        if (k.endsWith(".ogg") || k.endsWith(".opus")) {
            return "audio/ogg";
        }
        if (k.endsWith(".pdf")) {
            return "application/pdf";
        }
        if (k.endsWith(".docx")) {
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        }
        if (k.endsWith(".png")) {
            return "image/png";
        }
        if (k.endsWith(".jpg") || k.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        if (k.endsWith(".mp4")) {
            return "video/mp4";
        }
        if (k.endsWith(".vtt")) {
            return "text/vtt; charset=utf-8";
        }
        if (k.endsWith(".m4a")) {
            return "audio/mp4";
        }
        if (k.endsWith(".txt") || k.endsWith(".md")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }
}

package dev.lectern.http.multipart;

import java.nio.file.Path;

/**
 * Limits of one multipart request: bytes per file part, bytes of the whole body, number of parts, and the directory
 * that file parts are spooled to while they arrive.
 */
public record MultipartLimits(long maxFileBytes, long maxBodyBytes, int maxParts, Path spoolDir) {
    /** A form with one file of at most {@code maxFileBytes} and a few small fields. */
    public static MultipartLimits oneFile(long maxFileBytes, int maxParts, Path spoolDir) {
        return new MultipartLimits(maxFileBytes, maxFileBytes + 1024 * 1024, maxParts, spoolDir);
    }
}

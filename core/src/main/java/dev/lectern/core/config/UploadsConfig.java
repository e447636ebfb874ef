package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkRange;

/**
 * Multipart uploads ({@code POST /api/chat/upload}): the largest file accepted, and how many form parts a request may
 * carry. Files are spooled to {@code <dataDir>/tmp} while they arrive, never held whole in memory. Per user: at most
 * {@code maxBytesPerUser} stored in {@code maxFilesPerUser} files, one upload at a time; none is taken while the
 * spool's disk has less than {@code minFreeDiskBytes} free (507).
 */
public record UploadsConfig(long maxFileBytes, int maxParts, long maxBytesPerUser, int maxFilesPerUser,
                            long minFreeDiskBytes) {
    public UploadsConfig {
        checkRange(maxBytesPerUser, 1, Long.MAX_VALUE, "uploads.maxBytesPerUser");
        checkRange(maxFilesPerUser, 1, 10_000_000, "uploads.maxFilesPerUser");
        checkRange(minFreeDiskBytes, 0, Long.MAX_VALUE, "uploads.minFreeDiskBytes");
        checkRange(maxFileBytes, 1, 4L * 1024 * 1024 * 1024, "uploads.maxFileBytes");
        checkRange(maxParts, 1, 1000, "uploads.maxParts");
    }
}

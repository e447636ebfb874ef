package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkRange;

/**
 * Multipart uploads ({@code POST /api/chat/upload}): the largest file accepted, and how many form parts a request may
 * carry. Files are spooled to {@code <dataDir>/tmp} while they arrive, never held whole in memory.
 */
public record UploadsConfig(long maxFileBytes, int maxParts) {
    public UploadsConfig {
        checkRange(maxFileBytes, 1, 4L * 1024 * 1024 * 1024, "uploads.maxFileBytes");
        checkRange(maxParts, 1, 1000, "uploads.maxParts");
    }
}

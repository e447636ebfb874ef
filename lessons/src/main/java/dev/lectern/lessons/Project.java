package dev.lectern.lessons;

/**
 * A user's project: a subject their lesson videos are about, and optionally the companion whose voice narrates them
 * ({@code companionId}, null for the provider's voice). Times are epoch milliseconds.
 */
public record Project(String id, String ownerId, String title, String description, long createdAt, long updatedAt,
                      String companionId) {
    public Project(String id, String ownerId, String title, String description, long createdAt, long updatedAt) {
        this(id, ownerId, title, description, createdAt, updatedAt, null);
    }
}

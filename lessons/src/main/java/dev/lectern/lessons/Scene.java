package dev.lectern.lessons;

/**
 * One scene of a session, at its position (0-based, in play order): what it shows and says, its status (PLANNED,
 * EDITING, RENDERED, FAILED), the URLs of its media ("" until made) and its version (1, plus one per edit).
 */
public record Scene(String id, String sessionId, int position, String title, String script, String narration,
                    String visualDescription, String status, String videoUrl, String audioUrl, String imageUrl,
                    int version, long createdAt, long updatedAt) {}

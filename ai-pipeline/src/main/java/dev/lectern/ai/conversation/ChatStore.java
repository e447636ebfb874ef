package dev.lectern.ai.conversation;

import java.util.List;
import java.util.Optional;

/**
 * Where chat sessions and their messages live. In memory by default ({@link InMemoryChatStore}); the SQL store
 * implements the same interface. Methods may block (JDBC): call them from the blocking executor, never an event loop.
 */
public interface ChatStore {
    /** A new session owned by the user, with the companion it talks to (null = the default tutor). */
    ChatSession createSession(String userId, String companionId);

    /** The session when it exists and belongs to the user; empty otherwise (no hint which). */
    Optional<ChatSession> findSession(String userId, String sessionId);

    /** Appends a message and returns it with its id and time. */
    StoredMessage append(String sessionId, Role role, String content, Status status);

    /** The last {@code limit} messages of the session, oldest first. */
    List<StoredMessage> lastMessages(String sessionId, int limit);

    enum Role {
        USER, ASSISTANT;

        public String wireName() {
            return this == USER ? "user" : "assistant";
        }
    }

    /** {@code COMPLETE}, or {@code INTERRUPTED} for an answer cut short (client gone, barge-in, upstream failure). */
    enum Status { COMPLETE, INTERRUPTED }

    record ChatSession(String id, String userId, String companionId, long createdAtMillis) {}

    record StoredMessage(long id, String sessionId, Role role, String content, Status status, long createdAtMillis) {}
}

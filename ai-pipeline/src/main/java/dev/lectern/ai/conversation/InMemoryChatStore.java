package dev.lectern.ai.conversation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** {@link ChatStore} in process memory: lost on restart, for the embedded default and tests. Thread-safe. */
public final class InMemoryChatStore implements ChatStore {
    private final Map<String, ChatSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, List<StoredMessage>> messages = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    @Override
    public ChatSession createSession(String userId, String companionId) {
        ChatSession s = new ChatSession(UUID.randomUUID().toString(), userId, companionId, System.currentTimeMillis());
        sessions.put(s.id(), s);
        messages.put(s.id(), new ArrayList<>());
        return s;
    }

    @Override
    public Optional<ChatSession> findSession(String userId, String sessionId) {
        ChatSession s = sessions.get(sessionId);
        return s != null && s.userId().equals(userId) ? Optional.of(s) : Optional.empty();
    }

    @Override
    public StoredMessage append(String sessionId, Role role, String content, Status status) {
        List<StoredMessage> list = messages.get(sessionId);
        if (list == null) {
            throw new IllegalArgumentException("no session " + sessionId);
        }
        StoredMessage m = new StoredMessage(ids.incrementAndGet(), sessionId, role, content, status,
                System.currentTimeMillis());
        synchronized (list) {
            list.add(m);
        }
        return m;
    }

    /** Every session id, oldest first (for tests and diagnostics). */
    public List<String> findSessionIds() {
        List<ChatSession> all = new ArrayList<>(sessions.values());
        all.sort(java.util.Comparator.comparingLong(ChatSession::createdAtMillis));
        return all.stream().map(ChatSession::id).toList();
    }

    @Override
    public List<StoredMessage> lastMessages(String sessionId, int limit) {
        List<StoredMessage> list = messages.get(sessionId);
        if (list == null) {
            return List.of();
        }
        synchronized (list) {
            return List.copyOf(list.subList(Math.max(0, list.size() - limit), list.size()));
        }
    }
}

package dev.lectern.history;

import dev.lectern.ai.chat.ChatStore;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The AI tutor's conversations in the SQL store: the same tables as the chat history API, so a chat streamed over
 * {@code POST /api/chat/stream} is listed by {@code GET /api/chat/history} and read by {@code GET /api/message/list}.
 * A chat started by the stream is titled after its first question. Blocking: called on the blocking executor.
 */
public final class SqlChatStore implements ChatStore {
    static final String NEW_CHAT_TITLE = "New chat";
    private static final int TITLE_CHARS = 60;

    private final ChatRepository chats;

    public SqlChatStore(ChatRepository chats) {
        this.chats = chats;
    }

    @Override
    public ChatSession createSession(String userId, String companionId) {
        ChatRepository.ChatSession s = chats.create(userId, NEW_CHAT_TITLE, companionId);
        return new ChatSession(Long.toString(s.id()), userId, companionId, s.createdAt());
    }

    @Override
    public Optional<ChatSession> findSession(String userId, String sessionId) {
        return id(sessionId).flatMap(id -> chats.find(userId, id))
                .map(s -> new ChatSession(Long.toString(s.id()), s.userId(), s.companionId(), s.createdAt()));
    }

    @Override
    public StoredMessage append(String sessionId, Role role, String content, Status status) {
        long id = id(sessionId).orElseThrow(() -> new IllegalArgumentException("no such chat " + sessionId));
        ChatRepository.ChatMessage m = chats.appendChecked(id, role.wireName(), content,
                status.name().toLowerCase(Locale.ROOT));
        if (role == Role.USER) {
            chats.retitleIfNew(id, NEW_CHAT_TITLE, title(content));
        }
        return new StoredMessage(m.id(), sessionId, role, content, status, m.createdAt());
    }

    @Override
    public List<StoredMessage> lastMessages(String sessionId, int limit) {
        long id = id(sessionId).orElseThrow(() -> new IllegalArgumentException("no such chat " + sessionId));
        return chats.lastMessagesChecked(id, limit).stream()
                .map(m -> new StoredMessage(m.id(), sessionId, m.role().equals("user") ? Role.USER : Role.ASSISTANT,
                        m.content(), m.status().equals("interrupted") ? Status.INTERRUPTED : Status.COMPLETE,
                        m.createdAt()))
                .toList();
    }

    private static String title(String firstQuestion) {
        String oneLine = firstQuestion.strip().replaceAll("\\s+", " ").replaceAll("\\p{Cntrl}", "");
        return oneLine.length() <= TITLE_CHARS ? oneLine : oneLine.substring(0, TITLE_CHARS - 1) + "…";
    }

    private static Optional<Long> id(String sessionId) {
        try {
            long id = Long.parseLong(sessionId);
            return id > 0 ? Optional.of(id) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}

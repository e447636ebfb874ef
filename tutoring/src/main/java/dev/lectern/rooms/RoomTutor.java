package dev.lectern.rooms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.ai.conversation.ConversationService;
import dev.lectern.ai.conversation.Turn;
import dev.lectern.ai.conversation.TurnListener;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.signaling.room.RoomEventSink;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AI companion in a video room. Room activity goes on to the transcript ({@code next}); when a person writes in a
 * room created with a companion, the companion answers into the room: {@code message-delta} events while it thinks,
 * then {@code message {sender:"ai", message, audio_url, audio_urls}} to everyone, stored in the transcript as well.
 * Each user has their own conversation with the companion in a room (kept for the room's live lifetime), so context,
 * budgets and barge-in are per user. With no model configured (only the offline provider) the companion stays quiet
 * in rooms. Model and database work runs on the tutor's own bounded pool, never an event loop, one answer per room
 * at a time.
 */
public final class RoomTutor implements RoomEventSink {
    public static final String AI_USER = "ai";
    private static final Logger logger = LoggerFactory.getLogger(RoomTutor.class);

    /** Delivers an event to everyone in a room (signaling's rooms). */
    @FunctionalInterface
    public interface Broadcaster {
        void broadcast(String roomId, String event, JsonNode data);
    }

    private final RoomEventSink next;
    private final RoomRepository rooms;
    private final ConversationService conversations;
    private final EphemeralStore ephemeral;
    /**
     * The tutor's own small pool with a bounded queue, not the shared blocking executor: chat in many rooms must
     * never leave the REST API without threads (503).
     */
    private final java.util.concurrent.ThreadPoolExecutor executor;
    /** Rooms with an answer in progress: one at a time per room. */
    private final java.util.Set<String> answering = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Duration sessionTtl;
    private volatile Broadcaster broadcaster = (roomId, event, data) -> { };

    public RoomTutor(RoomEventSink next, RoomRepository rooms, ConversationService conversations,
                     EphemeralStore ephemeral, Duration sessionTtl) {
        this.next = next;
        this.rooms = rooms;
        this.conversations = conversations;
        this.ephemeral = ephemeral;
        this.executor = new java.util.concurrent.ThreadPoolExecutor(THREADS, THREADS, 30,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(QUEUE), r -> {
                    Thread t = new Thread(r, "lectern-room-tutor");
                    t.setDaemon(true);
                    return t;
                });
        this.executor.allowCoreThreadTimeOut(true);
        this.sessionTtl = sessionTtl;
    }

    /** Connects the tutor to the signaling rooms once they exist. */
    public void attach(Broadcaster broadcaster) {
        this.broadcaster = broadcaster;
    }

    @Override
    public void joined(String roomId, String userId, String peerId) {
        next.joined(roomId, userId, peerId);
    }

    @Override
    public void left(String roomId, String userId, String peerId) {
        next.left(roomId, userId, peerId);
    }

    @Override
    public void messageStored(String roomId, String userId, String sender, String message, long timestampMillis) {
        next.messageStored(roomId, userId, sender, message, timestampMillis);
        if (AI_USER.equals(userId)) {
            return;
        }
        if (conversations.models().models().stream().allMatch(m -> m.offline())) {
            return; // no model configured: the text chat explains that; a live room is not the place to repeat it
        }
        try {
            executor.execute(() -> {
                Optional<String> companionId = tutorOf(roomId);
                if (companionId.isEmpty()) {
                    return; // no tutor in this room: nothing is busy, nobody is told anything
                }
                if (!answering.add(roomId)) {
                    broadcaster.broadcast(roomId, "error", error(roomId, "ai_busy",
                            "the tutor is still answering in this room; ask again when it is done"));
                    return;
                }
                boolean started = false;
                try {
                    started = answer(roomId, userId, message, companionId.get());
                } finally {
                    if (!started) {
                        answering.remove(roomId);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            broadcaster.broadcast(roomId, "error", error(roomId, "ai_busy", "the tutor is busy; try again shortly"));
        }
    }

    private static final int THREADS = 4;
    private static final int QUEUE = 64;

    /** The companion that answers in the room, if it has one and is live (ad-hoc rooms have none). */
    private Optional<String> tutorOf(String roomId) {
        Optional<RoomRepository.Room> room;
        try {
            room = rooms.findRoom(roomId);
        } catch (RuntimeException e) {
            logger.warn("room lookup for the AI tutor failed: {}", e.toString());
            return Optional.empty();
        }
        if (room.isEmpty() || room.get().companionId() == null || room.get().ended()) {
            return Optional.empty();
        }
        return Optional.of(room.get().companionId());
    }

    /** True when an answer started (its listener ends the room's turn), false when there is none to give. */
    private boolean answer(String roomId, String userId, String message, String companionId) {
        String key = "room:" + roomId + ":ai_session:" + userId;
        try {
            String sessionId = ephemeral.get(key).orElse(null);
            Turn turn = conversations.start(userId, message, sessionId, companionId,
                    new Listener(roomId, companionId));
            if (!turn.sessionId().equals(sessionId)) {
                ephemeral.set(key, turn.sessionId(), sessionTtl);
            }
            turn.request(Long.MAX_VALUE); // the room gets events as fast as the model writes them
            return true;
        } catch (RuntimeException e) {
            logger.debug("AI tutor did not answer in a room: {}", e.toString());
            broadcaster.broadcast(roomId, "error", error(roomId, "ai_unavailable", e.getMessage() == null
                    ? "the tutor cannot answer right now" : e.getMessage()));
            return false;
        }
    }

    private static ObjectNode error(String roomId, String code, String message) {
        return Json.MAPPER.createObjectNode().put("room_id", roomId).put("code", code).put("message", message);
    }

    /** One answer in one room. */
    private final class Listener implements TurnListener {
        private final String roomId;
        private final String companionId;
        private final Map<Integer, String> audio = new TreeMap<>();

        Listener(String roomId, String companionId) {
            this.roomId = roomId;
            this.companionId = companionId;
        }

        @Override
        public void onText(String text, long receivedNanos) {
            broadcaster.broadcast(roomId, "message-delta", Json.MAPPER.createObjectNode()
                    .put("room_id", roomId).put("sender", AI_USER).put("companion_id", companionId).put("chunk", text));
        }

        @Override
        public synchronized void onAudio(int sentenceIndex, String url) {
            audio.put(sentenceIndex, url);
        }

        @Override
        public void onComplete(Result result) {
            long now = System.currentTimeMillis();
            ObjectNode out = Json.MAPPER.createObjectNode()
                    .put("room_id", roomId)
                    .put("message", result.text())
                    .put("sender", AI_USER)
                    .put("user_id", AI_USER)
                    .put("companion_id", companionId)
                    .put("timestamp", now / 1000.0); // epoch seconds, as the seed's message model has it
            String audioUrl;
            synchronized (this) {
                audioUrl = audio.isEmpty() ? null : audio.values().iterator().next();
                out.put("audio_url", audioUrl);
                ArrayNode urls = out.putArray("audio_urls");
                audio.values().forEach(urls::add);
            }
            if (result.notice() != null) {
                out.put("notice", result.notice());
            }
            answering.remove(roomId);
            next.messageStored(roomId, AI_USER, AI_USER, result.text(), now, audioUrl);
            broadcaster.broadcast(roomId, "message", out);
        }

        @Override
        public void onError(String code, String message) {
            answering.remove(roomId);
            broadcaster.broadcast(roomId, "error", error(roomId, code, message));
        }

        @Override
        public void onInterrupted(String reason) {
            answering.remove(roomId);
        }
    }
}

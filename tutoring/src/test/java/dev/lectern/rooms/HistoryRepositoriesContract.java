package dev.lectern.rooms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.history.ChatRepository;
import dev.lectern.companions.Companion;
import dev.lectern.companions.CompanionRepository;
import dev.lectern.core.store.sql.DuplicateKeyException;
import dev.lectern.core.store.sql.SqlDatabase;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Companions, rooms, transcripts, session records and chats: what both SQL dialects must do alike. */
abstract class HistoryRepositoriesContract {
    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };

    protected SqlDatabase db;
    private CompanionRepository companions;
    private RoomRepository rooms;
    private ChatRepository chats;

    protected abstract SqlDatabase newDatabase();

    @BeforeEach
    void open() {
        db = newDatabase();
        companions = new CompanionRepository(db, clock);
        rooms = new RoomRepository(db);
        chats = new ChatRepository(db, clock);
    }

    @AfterEach
    void closeDb() {
        db.close();
    }

    private static Companion companion(String id, String subject, String persona) {
        return new Companion(id, "Name " + id, subject, persona, "", "", "hi", false);
    }

    @Test
    void catalogueSeedingRespectsApiEdits() {
        assertThat(companions.seed(List.of(companion("a", "math", "p1"), companion("b", "physics", "p2")))).isEqualTo(2);
        assertThat(companions.seed(List.of(companion("a", "math", "p1")))).isZero(); // unchanged file, nothing to do
        companions.update(companion("b", "physics", "edited through the API"));
        companions.seed(List.of(companion("a", "math", "p1 v2"), companion("b", "physics", "file v2")));
        assertThat(companions.find("a").orElseThrow().companion().persona()).isEqualTo("p1 v2");
        assertThat(companions.find("b").orElseThrow().companion().persona()).isEqualTo("edited through the API");
    }

    @Test
    void companionsListFilterPageAndRetire() {
        companions.seed(List.of(companion("a", "math", "p"), companion("b", "math", "p"), companion("c", "art", "p")));
        companions.create(companion("d", "math", "p"), "tutor-1");
        assertThat(companions.list("math", 0, 10)).extracting(Companion::id).containsExactly("a", "b", "d");
        assertThat(companions.list(null, 1, 2)).extracting(Companion::id).containsExactly("b", "c");
        assertThat(companions.count("math")).isEqualTo(3);
        assertThat(companions.find("d").orElseThrow().createdBy()).isEqualTo("tutor-1");
        assertThatThrownBy(() -> companions.create(companion("d", "math", "p"), "x"))
                .isInstanceOf(DuplicateKeyException.class);
        assertThat(companions.retire("a")).isTrue();
        assertThat(companions.retire("a")).isFalse();
        assertThat(companions.list("math", 0, 10)).extracting(Companion::id).containsExactly("b", "d");
        assertThat(companions.find("a").orElseThrow().companion().retired()).isTrue();
        assertThat(companions.update(companion("a", "math", "q"))).as("a retired entry cannot be edited").isFalse();
    }

    @Test
    void endingARoomWritesASessionPerParticipantOnce() {
        long start = now.get();
        rooms.createRoom("room-1", "u1", "ada-math", start);
        rooms.recordParticipant("room-1", "u2", start + 1000);
        rooms.recordParticipant("room-1", "u2", start + 2000);
        rooms.appendMessage("room-1", "u1", "Ann", "hello", start + 3000);
        rooms.appendMessage("room-1", "u2", "Bob", "hi there", start + 4000);
        assertThat(rooms.participants("room-1")).containsExactly("u1", "u2");
        assertThat(rooms.isParticipant("room-1", "u3")).isFalse();

        List<RoomRepository.Session> written = rooms.endRoom("room-1", start + 65_000);
        assertThat(written).hasSize(2);
        RoomRepository.Session s = written.get(0);
        assertThat(s.userId()).isEqualTo("u1");
        assertThat(s.durationSeconds()).isEqualTo(65);
        assertThat(s.messageCount()).isEqualTo(2);
        assertThat(s.transcriptPreview()).isEqualTo("Ann: hello\nBob: hi there");
        assertThat(rooms.endRoom("room-1", start + 99_000)).isEmpty();
        assertThat(rooms.findRoom("room-1").orElseThrow().ended()).isTrue();

        assertThat(rooms.sessionsOf("u2", 0, 10)).extracting(RoomRepository.Session::roomId).containsExactly("room-1");
        assertThat(rooms.findSession(s.sessionId())).contains(s);
        assertThat(rooms.messages("room-1", s.startedAt(), s.endedAt(), 100)).extracting(RoomRepository.Message::message)
                .containsExactly("hello", "hi there");
    }

    @Test
    void purgeRemovesOnlyOldHistory() {
        rooms.createRoom("old", "u1", null, 1000);
        rooms.appendMessage("old", "u1", "Ann", "x", 2000);
        rooms.endRoom("old", 3000);
        rooms.createRoom("new", "u1", null, 10_000);
        rooms.appendMessage("new", "u1", "Ann", "y", 11_000);
        rooms.endRoom("new", 12_000);
        assertThat(rooms.purgeBefore(5000)).isPositive();
        assertThat(rooms.findRoom("old")).isEmpty();
        assertThat(rooms.sessionsOf("u1", 0, 10)).extracting(RoomRepository.Session::roomId).containsExactly("new");
        assertThat(rooms.messages("new", 0, Long.MAX_VALUE, 10)).hasSize(1);
    }

    @Test
    void chatsBelongToTheirOwner() {
        ChatRepository.ChatSession chat = chats.create("u1", "Algebra", "ada-math");
        assertThat(chats.append("u1", chat.id(), "user", "what is x?", "complete")).isPresent();
        now.addAndGet(1000);
        assertThat(chats.append("u1", chat.id(), "assistant", "x is", "interrupted")).isPresent();
        assertThat(chats.append("u2", chat.id(), "user", "intruder", "complete")).isEmpty();
        assertThat(chats.find("u2", chat.id())).isEmpty();
        assertThat(chats.messages("u2", chat.id(), 0, 10)).isEmpty();

        ChatRepository.ChatSession other = chats.create("u1", "Physics", null);
        assertThat(chats.list("u1", false, 0, 10)).extracting(ChatRepository.ChatSession::id)
                .containsExactly(other.id(), chat.id());
        assertThat(chats.find("u1", chat.id()).orElseThrow().messageCount()).isEqualTo(2);
        assertThat(chats.lastMessages("u1", chat.id(), 1)).extracting(ChatRepository.ChatMessage::status)
                .containsExactly("interrupted");
        assertThat(chats.lastMessages("u1", chat.id(), 5)).extracting(ChatRepository.ChatMessage::role)
                .containsExactly("user", "assistant");

        assertThat(chats.setFavorite("u2", chat.id(), true)).isFalse();
        assertThat(chats.setFavorite("u1", chat.id(), true)).isTrue();
        assertThat(chats.list("u1", true, 0, 10)).extracting(ChatRepository.ChatSession::id).containsExactly(chat.id());
        assertThat(chats.delete("u2", chat.id())).isFalse();
        assertThat(chats.delete("u1", chat.id())).isTrue();
        assertThat(chats.count("u1", false)).isEqualTo(1);
    }
}

package dev.lectern.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.auth.Role;
import dev.lectern.core.store.sql.DuplicateKeyException;
import dev.lectern.core.store.sql.SqlDatabase;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The repository behaviour both SQL dialects must show; a subclass supplies a fresh, migrated database. */
abstract class AccountRepositoriesContract {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC);

    protected SqlDatabase db;
    private UserRepository users;
    private AuditLog audit;

    protected abstract SqlDatabase newDatabase();

    protected abstract String expectedKind();

    @BeforeEach
    void open() {
        db = newDatabase();
        users = new UserRepository(db, CLOCK);
        audit = new AuditLog(db, CLOCK);
    }

    @AfterEach
    void closeDb() {
        db.close();
    }

    @Test
    void migratedDatabaseOfTheExpectedKindAnswersPing() {
        assertThat(db.kind()).isEqualTo(expectedKind());
        db.ping();
        assertThat(users.count()).isZero();
    }

    @Test
    void createdUserIsFoundByEmailAndId() {
        User u = users.create("ada@example.com", "$2a$hash", Role.TUTOR, "Ada");
        assertThat(u.id()).isPositive();
        assertThat(u.createdAtMillis()).isEqualTo(CLOCK.millis());
        assertThat(users.byEmail("ada@example.com")).contains(u);
        assertThat(users.byId(u.id())).contains(u);
        assertThat(users.byEmail("nobody@example.com")).isEmpty();
        assertThat(users.byId(u.id() + 1000)).isEmpty();
        assertThat(u.view()).doesNotContainKey("passwordHash").doesNotContainValue("$2a$hash")
                .containsEntry("role", "tutor");
    }

    @Test
    void duplicateEmailIsRefused() {
        users.create("dup@example.com", "h", Role.STUDENT, "");
        assertThatThrownBy(() -> users.create("dup@example.com", "h2", Role.STUDENT, ""))
                .isInstanceOf(DuplicateKeyException.class);
        assertThat(users.count()).isEqualTo(1);
    }

    @Test
    void updatesChangeOnlyTheNamedUser() {
        User a = users.create("a@example.com", "ha", Role.STUDENT, "A");
        User b = users.create("b@example.com", "hb", Role.STUDENT, "B");
        assertThat(users.updatePassword(a.id(), "ha2")).isTrue();
        assertThat(users.updateDisplayName(a.id(), "Alice")).isTrue();
        assertThat(users.setDisabled(a.id(), true)).isTrue();
        User a2 = users.byId(a.id()).orElseThrow();
        assertThat(a2.passwordHash()).isEqualTo("ha2");
        assertThat(a2.displayName()).isEqualTo("Alice");
        assertThat(a2.disabled()).isTrue();
        assertThat(users.byId(b.id())).contains(b);
        assertThat(users.setDisabled(a.id(), false)).isTrue();
        assertThat(users.byId(a.id()).orElseThrow().disabled()).isFalse();
        assertThat(users.updatePassword(999_999, "x")).isFalse();
    }

    @Test
    void listPagesInCreationOrder() {
        for (int i = 0; i < 5; i++) {
            users.create("u" + i + "@example.com", "h", Role.STUDENT, "");
        }
        assertThat(users.list(0, 2)).extracting(User::email).containsExactly("u0@example.com", "u1@example.com");
        assertThat(users.list(4, 10)).extracting(User::email).containsExactly("u4@example.com");
        assertThat(users.list(10, 10)).isEmpty();
        assertThat(users.count()).isEqualTo(5);
    }

    @Test
    void textIsStoredVerbatimAndParametersAreNotSql() {
        String tricky = "Robert'); DROP TABLE users;-- \u00e9\u6f22";
        User u = users.create("r@example.com", "h", Role.STUDENT, tricky);
        assertThat(users.byId(u.id()).orElseThrow().displayName()).isEqualTo(tricky);
        assertThat(users.count()).isEqualTo(1);
    }

    @Test
    void auditLogReadsNewestFirst() {
        audit.record(null, "system.start", "", "", "");
        audit.record(7L, "user.disable", "user:3", "spam", "10.0.0.1");
        List<AuditLog.Entry> entries = audit.recent(0, 10);
        assertThat(entries).extracting(AuditLog.Entry::action).containsExactly("user.disable", "system.start");
        assertThat(entries.get(0).actorId()).isEqualTo(7L);
        assertThat(entries.get(0).address()).isEqualTo("10.0.0.1");
        assertThat(entries.get(1).actorId()).isNull();
        assertThat(audit.recent(1, 10)).hasSize(1);
    }

    @Test
    void failedTransactionLeavesNothingBehind() {
        assertThatThrownBy(() -> db.transaction(c -> {
            try (var ps = c.prepareStatement("INSERT INTO audit_log (action, created_at) VALUES ('x', 1)")) {
                ps.executeUpdate();
            }
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(audit.recent(0, 10)).isEmpty();
    }
}

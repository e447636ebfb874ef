package dev.lectern.files;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.ai.retrieval.DocumentCatalog;
import dev.lectern.ai.retrieval.FileKind;
import dev.lectern.core.store.sql.SqlDatabase;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The uploads table on both SQL engines: ownership, status updates, the catalogue retrieval follows, and the owner's
 * generation raised by every recorded outcome and delete.
 */
abstract class UserFileRepositoryContract {
    protected SqlDatabase db;
    private UserFileRepository files;

    protected abstract SqlDatabase newDatabase();

    @BeforeEach
    void setUp() {
        db = newDatabase();
        files = new UserFileRepository(db, Clock.systemUTC());
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    @Test
    void filesBelongToTheirOwnerAndOnlyIndexedOnesAreCatalogued() {
        UserFileRepository.UserFile a = files.insert("alice", "notes.pdf", "pdf", "uploads/a.pdf", 1234, "7");
        UserFileRepository.UserFile b = files.insert("alice", "photo.jpg", "jpg", "uploads/b.jpg", 99, null);
        UserFileRepository.UserFile c = files.insert("alice", "bomb.docx", "docx", "uploads/c.docx", 5, null);
        files.insert("bob", "bob.txt", "txt", "uploads/d.txt", 3, null);
        assertThat(a.status()).isEqualTo("pending");
        assertThat(files.generation("alice")).isZero();
        long version = files.setStatus("alice", a.id(), "indexed", null, 12);
        assertThat(files.generation("alice")).isEqualTo(version).isPositive();
        files.setStatus("alice", b.id(), "not_indexed", "images are stored but not indexed", 0);
        files.setStatus("alice", c.id(), "failed", "the DOCX looks like a zip bomb", 0);
        assertThat(files.generation("alice")).as("every recorded outcome raises it").isEqualTo(version + 2);
        assertThat(files.generation("bob")).isZero();
        assertThat(files.setStatus("bob", a.id(), "failed", "not bob's", 0)).isEqualTo(1);
        assertThat(files.find("alice", a.id()).orElseThrow().status()).as("bob cannot touch it").isEqualTo("indexed");

        assertThat(files.find("alice", a.id())).get().satisfies(f -> {
            assertThat(f.passages()).isEqualTo(12);
            assertThat(f.sessionId()).isEqualTo("7");
            assertThat(f.size()).isEqualTo(1234);
        });
        assertThat(files.find("bob", a.id())).isEmpty();
        assertThat(files.list("alice", 0, 10)).extracting(UserFileRepository.UserFile::filename)
                .containsExactlyInAnyOrder("notes.pdf", "photo.jpg", "bomb.docx");
        assertThat(files.count("alice")).isEqualTo(3);
        assertThat(files.find("alice", c.id()).orElseThrow().error()).contains("zip bomb");
        assertThat(files.indexedFiles("alice")).containsExactly(new DocumentCatalog.Entry(Long.toString(a.id()),
                version, "notes.pdf", FileKind.PDF, "uploads/a.pdf"));
        assertThat(files.scope()).isEqualTo("user_files");

        long before = files.generation("alice");
        assertThat(files.delete("bob", a.id())).isFalse();
        assertThat(files.generation("alice")).isEqualTo(before);
        assertThat(files.delete("alice", a.id())).isTrue();
        assertThat(files.generation("alice")).isEqualTo(before + 1);
        assertThat(files.indexedFiles("alice")).isEmpty();
    }
}

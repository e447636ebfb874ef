package dev.lectern.files;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.ai.retrieval.DocumentIndex;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.ai.retrieval.RetrievalService;
import dev.lectern.ai.retrieval.Transcriber;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.history.ChatRepository;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.FSDirectory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-owner index follows the SQL catalogue on every node, on the embedded default (SQLite): two retrieval
 * services with their own index directories stand for two nodes sharing one database, one object store and one bus.
 * Uploads and deletes on one are seen by the other's next search; a node that was down catches up by difference; a
 * delete reaches the other node's index without a search; a re-index replaces the file's passages everywhere.
 */
class IndexCatchUpTest {
    private static final String ZORBL = "Zorbl is a violet mineral found only on the outer moons of Kepler.";
    private static final String VEXTRIN = "Vextrin is an enzyme that splits starch in cold water.";
    private static final String ASK_ZORBL = "Where is zorbl found?";
    private static final String ASK_VEXTRIN = "What does vextrin split?";

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private SqlDatabase db;
    private UserFileRepository files;
    private LocalObjectStore objects;
    private InMemoryEphemeralStore bus;
    private UploadService uploads;

    @BeforeEach
    void setUp() {
        db = new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", dir.toString())).storage(), null);
        files = new UserFileRepository(db, Clock.systemUTC());
        objects = new LocalObjectStore(dir.resolve("objects"), new UrlSigner(new byte[32]), "/o/", Clock.systemUTC());
        bus = new InMemoryEphemeralStore();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        bus.close();
        db.close();
    }

    private RetrievalService node(String name) {
        RetrievalService node = new RetrievalService(TestConfigs.defaults().ai().retrieval(), dir.resolve(name),
                dir.resolve("tmp-" + name), new Transcriber(new AiConfig.Transcription("", "", "", 1000),
                Optional.empty(), null), objects, files, bus, Runnable::run); // transcription off: no HTTP client
        open.add(node);
        return node;
    }

    private UserFileRepository.UserFile upload(RetrievalService node, String owner, String name, String text)
            throws Exception {
        Path file = Files.writeString(dir.resolve(name), text);
        return new UploadService(files, new ChatRepository(db, Clock.systemUTC()), objects, node).upload(owner,
                Optional.empty(), new UploadService.SpooledFile(name, file, Files.size(file))).file();
    }

    private boolean delete(RetrievalService node, String owner, long id) {
        return new UploadService(files, new ChatRepository(db, Clock.systemUTC()), objects, node).delete(owner, id);
    }

    private static List<String> cited(RetrievalService node, String owner, String question) {
        return node.retrieve(owner, question).stream().map(Passage::filename).toList();
    }

    @Test
    void uploadsAndDeletesOnOneNodeAreSeenByTheNextSearchOnTheOther() throws Exception {
        RetrievalService one = node("index-1");
        RetrievalService two = node("index-2");
        UserFileRepository.UserFile zorbl = upload(one, "alice", "zorbl.md", ZORBL);
        assertThat(zorbl.status()).isEqualTo("indexed");
        assertThat(cited(two, "alice", ASK_ZORBL)).containsExactly("zorbl.md");
        assertThat(two.refresh("alice")).as("current: nothing to do").isEqualTo(new RetrievalService.CatchUp(0, 0, false));

        upload(one, "alice", "vextrin.md", VEXTRIN);
        assertThat(cited(two, "alice", ASK_VEXTRIN)).containsExactly("vextrin.md");
        assertThat(cited(one, "alice", ASK_VEXTRIN)).containsExactly("vextrin.md");

        assertThat(delete(one, "alice", zorbl.id())).isTrue();
        assertThat(cited(two, "alice", ASK_ZORBL)).isEmpty();
        assertThat(cited(one, "alice", ASK_ZORBL)).isEmpty();
        assertThat(two.index().files("alice")).hasSize(1);
        assertThat(cited(two, "bob", ASK_VEXTRIN)).as("another owner's index").isEmpty();
    }

    @Test
    void aNodeThatWasDownCatchesUpByDifferenceAndRecordsTheGeneration() throws Exception {
        RetrievalService one = node("index-1");
        RetrievalService two = node("index-2");
        UserFileRepository.UserFile zorbl = upload(one, "carol", "zorbl.md", ZORBL);
        upload(one, "carol", "notes.md", "Ferns reproduce by spores carried on the wind.");
        assertThat(two.refresh("carol")).isEqualTo(new RetrievalService.CatchUp(2, 0, false));
        two.close();
        open.remove(two);

        upload(one, "carol", "vextrin.md", VEXTRIN);
        delete(one, "carol", zorbl.id());
        RetrievalService back = node("index-2");
        assertThat(back.index().generation("carol")).as("recorded with the commit").isPositive()
                .isLessThan(files.generation("carol"));
        assertThat(back.refresh("carol")).as("one file fetched, one removed, no rebuild")
                .isEqualTo(new RetrievalService.CatchUp(1, 1, false));
        assertThat(back.index().generation("carol")).isEqualTo(files.generation("carol"));
        assertThat(cited(back, "carol", ASK_VEXTRIN)).containsExactly("vextrin.md");
        assertThat(cited(back, "carol", ASK_ZORBL)).isEmpty();
        assertThat(cited(back, "carol", "how do ferns reproduce")).containsExactly("notes.md");

        back.close();
        open.remove(back);
        assertThat(node("index-2").refresh("carol")).as("nothing changed while down")
                .isEqualTo(new RetrievalService.CatchUp(0, 0, false));
    }

    @Test
    void aDeleteReachesEveryNodeHoldingTheIndexWithoutASearch() throws Exception {
        RetrievalService one = node("index-1");
        RetrievalService two = node("index-2");
        UserFileRepository.UserFile zorbl = upload(one, "dave", "zorbl.md", ZORBL);
        assertThat(cited(two, "dave", ASK_ZORBL)).containsExactly("zorbl.md");

        delete(one, "dave", zorbl.id());
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> !two.index().files("dave").containsKey(Long.toString(zorbl.id())));
        assertThat(two.index().search("dave", ASK_ZORBL, 4, 0.5)).isEmpty();
        assertThat(objects.get(zorbl.objectKey())).isEmpty();
    }

    @Test
    void aReindexReplacesTheFilesPassagesOnOtherNodes() throws Exception {
        RetrievalService one = node("index-1");
        RetrievalService two = node("index-2");
        UserFileRepository.UserFile f = upload(one, "erin", "zorbl.md", ZORBL);
        assertThat(cited(two, "erin", ASK_ZORBL)).containsExactly("zorbl.md");

        // the same file indexed again with new text (a better transcript, a new extractor): its version rises
        objects.put(f.objectKey(), Files.writeString(dir.resolve("v2.md"), VEXTRIN));
        files.setStatus("erin", f.id(), RetrievalService.Outcome.INDEXED, null, 1);
        assertThat(two.refresh("erin")).isEqualTo(new RetrievalService.CatchUp(1, 0, false));
        assertThat(cited(two, "erin", ASK_VEXTRIN)).containsExactly("zorbl.md");
        assertThat(cited(two, "erin", ASK_ZORBL)).as("the old passages are gone").isEmpty();
        assertThat(two.index().count("erin")).isEqualTo(1);
    }

    @Test
    void anIndexWrittenBeforeGenerationsIsRebuiltOnce() throws Exception {
        RetrievalService one = node("index-1");
        upload(one, "fay", "vextrin.md", VEXTRIN);
        // an index from an earlier version on node 2's disk: passages of a file since deleted, no generation
        Path legacy = dir.resolve("index-2").resolve("fay");
        try (FSDirectory d = FSDirectory.open(Files.createDirectories(legacy));
             IndexWriter w = new IndexWriter(d, new IndexWriterConfig(new StandardAnalyzer()))) {
            Document doc = new Document();
            doc.add(new StringField("file_id", "999", Field.Store.YES));
            doc.add(new TextField("text", ZORBL, Field.Store.YES));
            w.addDocument(doc);
            w.commit();
        }
        RetrievalService two = node("index-2");
        assertThat(two.index().generation("fay")).isEqualTo(DocumentIndex.UNTRACKED);
        assertThat(two.refresh("fay")).isEqualTo(new RetrievalService.CatchUp(1, 0, true));
        assertThat(cited(two, "fay", ASK_ZORBL)).isEmpty();
        assertThat(cited(two, "fay", ASK_VEXTRIN)).containsExactly("vextrin.md");
        assertThat(two.refresh("fay")).isEqualTo(new RetrievalService.CatchUp(0, 0, false));
    }
}

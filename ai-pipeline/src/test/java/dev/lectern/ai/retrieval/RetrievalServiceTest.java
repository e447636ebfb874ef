package dev.lectern.ai.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.ai.testing.Documents;
import dev.lectern.ai.testing.FakeTranscriptionServer;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.testing.TestConfigs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Extraction, passages, the per-user BM25 index with its relevance threshold, rebuild, isolation, transcription. */
class RetrievalServiceTest {
    static final String FACT = "The Quillfeather constant of the Brannock reactor equals 47.3 kilojoules per mole.";

    @TempDir
    Path dir;

    private final AiConfig.Retrieval config = TestConfigs.defaults().ai().retrieval();
    private final List<DocumentCatalog.Entry> catalog = new CopyOnWriteArrayList<>();
    private final AtomicLong generation = new AtomicLong();
    private final InMemoryEphemeralStore bus = new InMemoryEphemeralStore();
    private LocalObjectStore objects;
    private RetrievalService service;
    private final dev.lectern.core.netty.SharedHttpClient http =
            dev.lectern.core.netty.SharedHttpClient.create("test-http", 1, java.time.Duration.ofSeconds(5));

    @BeforeEach
    void setUp() {
        objects = new LocalObjectStore(dir.resolve("objects"), new UrlSigner(new byte[32]), "/o/", Clock.systemUTC());
        service = service(new AiConfig.Transcription("", "whisper-1", "", 5000));
    }

    private RetrievalService service(AiConfig.Transcription t) {
        return new RetrievalService(config, dir.resolve("index"), dir.resolve("tmp"),
                new Transcriber(t, Optional.of(new Secret("TEST", "sk-transcribe")), http.client()), objects,
                new DocumentCatalog() {
                    @Override
                    public String scope() {
                        return "test";
                    }

                    @Override
                    public long generation(String owner) {
                        return generation.get();
                    }

                    @Override
                    public List<Entry> indexedFiles(String owner) {
                        return catalog.stream().filter(e -> e.fileId().startsWith(owner + ":")).toList();
                    }
                }, bus, Runnable::run);
    }

    @AfterEach
    void tearDown() {
        service.close();
        bus.close();
        http.close();
    }

    /** Stores the file like an upload does, indexes it, and lists it in the catalogue when indexed. */
    private RetrievalService.Outcome upload(String user, String id, String name, FileKind kind, Path file) {
        String key = "uploads/" + id.replace(':', '.') + "." + kind.extension();
        objects.put(key, file);
        return service.indexFile(user, user + ":" + id, name, kind, file, o -> {
            long version = generation.incrementAndGet();
            if (o.indexed()) {
                catalog.add(new DocumentCatalog.Entry(user + ":" + id, version, name, kind, key));
            }
            return version;
        });
    }

    private static List<String> filler(int pages) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < pages; i++) {
            out.add("Lecture " + (i + 1) + " covers cell biology: mitochondria produce energy, ribosomes build "
                    + "proteins and the nucleus stores genetic material. Osmosis moves water across membranes.");
        }
        return out;
    }

    @Test
    void aFactOnPageTwoIsFoundWithItsPageAndUnrelatedQuestionsGetNothing() throws Exception {
        List<String> pages = filler(3);
        pages.set(1, pages.get(1) + " " + FACT);
        Path pdf = Documents.pdf(dir.resolve("notes.pdf"), pages);
        RetrievalService.Outcome o = upload("alice", "f1", "notes.pdf", FileKind.PDF, pdf);
        assertThat(o.status()).isEqualTo("indexed");
        assertThat(o.passages()).isGreaterThanOrEqualTo(3);

        List<Passage> hits = service.retrieve("alice", "What does the Quillfeather constant of the Brannock reactor equal?");
        assertThat(hits).isNotEmpty();
        assertThat(hits.get(0).page()).isEqualTo(2);
        assertThat(hits.get(0).filename()).isEqualTo("notes.pdf");
        assertThat(hits.get(0).fileId()).isEqualTo("alice:f1");
        assertThat(hits.get(0).text()).contains("47.3 kilojoules");
        assertThat(hits).extracting(Passage::page).doesNotContain(1, 3);

        assertThat(service.retrieve("alice", "How do volcanoes erupt on Iceland?")).isEmpty();
        assertThat(service.retrieve("alice", "What is the capital of France?")).isEmpty();
        assertThat(service.retrieve("alice", "the and of is")).as("only stop words").isEmpty();
    }

    @Test
    void docxTextAndMarkdownAreIndexed() throws Exception {
        Path docx = Documents.docx(dir.resolve("essay.docx"), List.of("Introduction to thermodynamics.", FACT));
        assertThat(upload("bob", "d1", "essay.docx", FileKind.DOCX, docx).status()).isEqualTo("indexed");
        Path md = Files.writeString(dir.resolve("n.md"), "# Glossary\n\nA *zwitterion* carries both charges.");
        assertThat(upload("bob", "m1", "n.md", FileKind.MD, md).status()).isEqualTo("indexed");
        assertThat(service.retrieve("bob", "Quillfeather constant Brannock reactor"))
                .extracting(Passage::filename, Passage::page).containsExactly(org.assertj.core.groups.Tuple.tuple("essay.docx", 0));
        assertThat(service.retrieve("bob", "what charges does a zwitterion carry"))
                .extracting(Passage::filename).containsExactly("n.md");
    }

    @Test
    void hostileDocumentsFailThatFileOnlyAndTheIndexStaysUsable() throws Exception {
        Path good = Documents.pdf(dir.resolve("good.pdf"), List.of(FACT));
        assertThat(upload("carol", "g", "good.pdf", FileKind.PDF, good).status()).isEqualTo("indexed");

        RetrievalService.Outcome enc = upload("carol", "e", "locked.pdf", FileKind.PDF,
                Documents.encryptedPdf(dir.resolve("locked.pdf"), "secret text about zebras"));
        assertThat(enc.status()).isEqualTo("failed");
        assertThat(enc.error()).contains("encrypted");

        byte[] whole = Files.readAllBytes(good);
        Path truncated = Files.write(dir.resolve("cut.pdf"), java.util.Arrays.copyOf(whole, whole.length / 3));
        RetrievalService.Outcome cut = upload("carol", "t", "cut.pdf", FileKind.PDF, truncated);
        assertThat(cut.status()).isEqualTo("failed");
        assertThat(cut.error()).isNotBlank();

        Path garbage = Files.write(dir.resolve("junk.pdf"),
                ("%PDF-1.7\n" + "\u0001garbage\u0002".repeat(100)).getBytes(StandardCharsets.ISO_8859_1));
        assertThat(upload("carol", "j", "junk.pdf", FileKind.PDF, garbage).status()).isEqualTo("failed");

        long start = System.nanoTime();
        Path bomb = Documents.docxBomb(dir.resolve("bomb.docx"), 256L << 20);
        assertThat(Files.size(bomb)).as("small on disk").isLessThan(2_000_000);
        RetrievalService.Outcome b = upload("carol", "b", "bomb.docx", FileKind.DOCX, bomb);
        assertThat(b.status()).isEqualTo("failed");
        assertThat(b.error()).contains("zip bomb");

        Path empty = Documents.pdf(dir.resolve("blank.pdf"), List.of(""));
        assertThat(upload("carol", "n", "blank.pdf", FileKind.PDF, empty).error()).contains("no text");

        assertThat(service.retrieve("carol", "Quillfeather constant Brannock")).extracting(Passage::filename)
                .containsExactly("good.pdf");
        assertThat(service.index().count("carol")).isEqualTo(1);
        assertThat(System.nanoTime() - start).as("sanity: the bomb was not inflated").isPositive();
    }

    @Test
    void usersNeverSeeEachOthersPassages() throws Exception {
        upload("alice", "a", "alice.pdf", FileKind.PDF, Documents.pdf(dir.resolve("a.pdf"), List.of(FACT)));
        upload("bob", "b", "bob.txt", FileKind.TXT, Files.writeString(dir.resolve("b.txt"), "Bob likes ferns."));
        assertThat(service.retrieve("bob", "Quillfeather constant Brannock reactor")).isEmpty();
        assertThat(service.retrieve("alice", "Quillfeather constant Brannock reactor")).hasSize(1);
        assertThat(service.retrieve("mallory/../alice", "Quillfeather constant Brannock reactor")).isEmpty();
        assertThat(service.index().directory("mallory/../alice").getFileName().toString()).startsWith("u-");
    }

    @Test
    void aDeletedIndexIsRebuiltFromTheObjectStore() throws Exception {
        upload("dave", "p", "notes.pdf", FileKind.PDF, Documents.pdf(dir.resolve("p.pdf"), List.of("intro", FACT)));
        upload("dave", "t", "t.txt", FileKind.TXT, Files.writeString(dir.resolve("t.txt"), "Ferns reproduce by spores."));
        service.close();
        Path userIndex = dir.resolve("index").resolve("dave");
        assertThat(userIndex).isDirectory();
        try (var files = Files.walk(userIndex)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        service = service(new AiConfig.Transcription("", "whisper-1", "", 5000));
        List<Passage> hits = service.retrieve("dave", "Quillfeather constant of the Brannock reactor");
        assertThat(hits).extracting(Passage::page).containsExactly(2);
        assertThat(service.retrieve("dave", "how do ferns reproduce")).extracting(Passage::filename)
                .containsExactly("t.txt");

        // deleted while open: the next use notices and rebuilds again
        try (var files = Files.walk(userIndex)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertThat(service.retrieve("dave", "how do ferns reproduce")).hasSize(1);
    }

    @Test
    void deletingAFileRemovesItsPassages() throws Exception {
        upload("erin", "x", "x.txt", FileKind.TXT, Files.writeString(dir.resolve("x.txt"), FACT));
        assertThat(service.retrieve("erin", "Quillfeather constant Brannock")).hasSize(1);
        catalog.removeIf(e -> e.fileId().equals("erin:x"));
        generation.incrementAndGet();
        service.deleteFile("erin", "erin:x");
        assertThat(service.retrieve("erin", "Quillfeather constant Brannock")).isEmpty();
    }

    @Test
    void audioIsTranscribedWhenConfiguredAndOtherwiseKeptUnindexed() throws Exception {
        Path wav = Files.write(dir.resolve("talk.wav"), "RIFF\0\0\0\0WAVEfmt data".getBytes(StandardCharsets.US_ASCII));
        RetrievalService.Outcome none = upload("fay", "w0", "talk.wav", FileKind.WAV, wav);
        assertThat(none.status()).isEqualTo("not_indexed");
        assertThat(none.error()).contains("transcription");
        Path png = Files.write(dir.resolve("p.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        assertThat(upload("fay", "i", "p.png", FileKind.PNG, png).status()).isEqualTo("not_indexed");

        try (FakeTranscriptionServer stt = new FakeTranscriptionServer().answer(
                "In today's lecture the Brannock reactor's Quillfeather constant was measured.")) {
            service.close();
            service = service(new AiConfig.Transcription(stt.baseUrl(), "whisper-test", "KEY", 5000));
            RetrievalService.Outcome o = upload("fay", "w1", "talk.wav", FileKind.WAV, wav);
            assertThat(o.status()).isEqualTo("indexed");
            String body = new String(stt.bodies().get(0), StandardCharsets.ISO_8859_1);
            assertThat(body).contains("name=\"model\"").contains("whisper-test").contains("filename=\"talk.wav\"")
                    .contains("RIFF");
            assertThat(stt.authorizations().get(0)).isEqualTo("Bearer sk-transcribe");
            assertThat(service.retrieve("fay", "Quillfeather constant Brannock")).extracting(Passage::filename)
                    .containsExactly("talk.wav");

            stt.status(500);
            RetrievalService.Outcome failed = upload("fay", "w2", "again.wav", FileKind.WAV, wav);
            assertThat(failed.status()).isEqualTo("failed");
            assertThat(failed.error()).contains("500");
        }
    }

    @Test
    void passagesOverlapAndKeepTheirPage() {
        String text = "word ".repeat(500);
        List<Passages.Chunk> chunks = Passages.split(List.of(new PageText(4, text)), 200, 50);
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.page()).isEqualTo(4);
            assertThat(c.text().length()).isLessThanOrEqualTo(200);
        });
        int covered = chunks.stream().mapToInt(c -> c.text().length()).sum();
        assertThat(covered).as("overlap repeats text").isGreaterThan(text.strip().length());
        assertThatThrownBy(() -> new AiConfig.Retrieval("", 100, 80, 4, 0.6, 1000, 100))
                .hasMessageContaining("overlapChars");
    }

    @Test
    void aClosedIndexRefusesToReopenAnOwnersDirectory(@TempDir Path other) {
        DocumentIndex index = new DocumentIndex(other, 4);
        index.put("ann", "1", 1, "a.md", Passages.split(List.of(new PageText(1, "Ferns grow from spores.")), 200, 50));
        index.commit("ann", 1);
        index.close();
        // a late announcement arriving after close must not leave a writer holding the directory's lock
        assertThatThrownBy(() -> index.generation("ann")).isInstanceOf(IllegalStateException.class);
        DocumentIndex again = new DocumentIndex(other, 4);
        assertThat(again.count("ann")).as("the next index opens the same directory").isEqualTo(1);
        again.close();
    }
}

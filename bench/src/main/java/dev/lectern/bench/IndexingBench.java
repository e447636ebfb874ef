package dev.lectern.bench;

import dev.lectern.ai.retrieval.FileKind;
import dev.lectern.ai.retrieval.RetrievalService;
import dev.lectern.ai.retrieval.Transcriber;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.files.UserFileRepository;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;

/**
 * {@code bin/bench IndexingBench [--docs 200] [--kb 40] [--queries 2000] [--checks 20000] [--pdf]
 * [--sql-url jdbc:postgresql://127.0.0.1:5432/db --sql-user postgres]}: generates {@code docs} lecture-note documents
 * of about {@code kb} KB of text each (sentences drawn from a Zipf-distributed academic vocabulary, like real notes: a
 * few words very common, most rare), as text files or, with {@code --pdf}, as PDFs of about 3 KB a page; uploads them
 * one by one for one owner as {@code UploadService} does (object store, SQL record, {@link RetrievalService#indexFile}
 * with the shipped {@code ai.retrieval} settings: extraction, passages with overlap, Lucene add and commit per file),
 * and reports passages/s and MB/s of text. The SQL catalogue is SQLite in a temporary directory, or the database
 * {@code --sql-url} names.
 *
 * <p>Then, as a node with an empty disk: the whole index caught up from the object store; the per-question check that
 * the index is current ({@link RetrievalService#refresh} when nothing changed: the owner's generation read from SQL
 * and compared) {@code checks} times, p50/p99; one new file caught up by difference; and {@code queries} questions of
 * four to eight vocabulary words, retrieval latency p50/p99 (check, analysis, BM25 search, relevance threshold).
 */
public final class IndexingBench {
    private static final String[] ROOTS = ("cell membrane protein enzyme energy molecule reaction equilibrium entropy "
            + "pressure volume temperature gradient diffusion osmosis mitochondria ribosome nucleus chromosome gene "
            + "allele mutation selection species population ecosystem photosynthesis respiration glucose oxygen carbon "
            + "nitrogen cycle atom electron proton neutron orbital bond covalent ionic acid base buffer solution "
            + "concentration rate constant catalyst activation kinetic potential force mass acceleration velocity "
            + "momentum impulse torque friction wave frequency amplitude interference diffraction refraction lens "
            + "circuit current voltage resistance capacitor inductor field magnet charge flux integral derivative "
            + "limit function matrix vector eigenvalue probability distribution variance hypothesis theorem proof "
            + "lemma sequence series convergence algorithm complexity recursion graph tree network economy market "
            + "demand supply inflation revolution empire treaty parliament constitution republic migration climate "
            + "glacier erosion sediment volcano tectonic plate mantle crust ocean current monsoon latitude").split(" ");
    private static final String[] GLUE = ("the of and in to a is that for it as with was on be by this are from at "
            + "which an or have not can we our these when its also more than between each").split(" ");

    private IndexingBench() {}

    public static void main(String[] args) throws Exception {
        int docs = intArg(args, "--docs", 200);
        int kb = intArg(args, "--kb", 40);
        int queries = intArg(args, "--queries", 2000);
        int checks = intArg(args, "--checks", 20_000);
        boolean pdf = Arrays.asList(args).contains("--pdf");
        FileKind kind = pdf ? FileKind.PDF : FileKind.TXT;
        Path dir = Files.createTempDirectory("lectern-indexing-bench");
        Map<String, String> env = new HashMap<>(Map.of("LECTERN_STORAGE__DATA_DIR", dir.toString()));
        stringArg(args, "--sql-url").ifPresent(u -> env.put("LECTERN_STORAGE__SQL__URL", u));
        stringArg(args, "--sql-user").ifPresent(u -> env.put("LECTERN_STORAGE__SQL__USER", u));
        ServerConfig config = ConfigLoader.load(Path.of("config/lectern.yaml"), env);
        AiConfig.Retrieval cfg = config.ai().retrieval();
        SplittableRandom random = new SplittableRandom(42);
        String[] vocabulary = vocabulary(random);
        String owner = "bench-" + UUID.randomUUID().toString().substring(0, 8); // a database may be reused
        System.out.printf("generating %d %s documents of ~%d KB ...%n", docs, pdf ? "PDF" : "text", kb);
        Path[] files = new Path[docs + 1];
        long textBytes = 0;
        for (int i = 0; i <= docs; i++) {
            String text = notes(random, vocabulary, kb * 1024);
            textBytes += i < docs ? text.getBytes(StandardCharsets.UTF_8).length : 0;
            files[i] = pdf ? pdf(dir.resolve("doc" + i + ".pdf"), text)
                    : Files.writeString(dir.resolve("doc" + i + ".txt"), text);
        }
        LocalObjectStore objects = new LocalObjectStore(dir.resolve("objects"), new UrlSigner(new byte[32]), "/o/",
                Clock.systemUTC());
        Transcriber transcriber = new Transcriber(new AiConfig.Transcription("", "", "", 1000), Optional.empty(),
                null); // transcription off: no HTTP client
        try (SqlDatabase db = new SqlDatabase(config.storage(), null);
             InMemoryEphemeralStore bus = new InMemoryEphemeralStore()) {
            UserFileRepository catalogue = new UserFileRepository(db, Clock.systemUTC());
            System.out.printf("SQL catalogue: %s%n", db.kind());
            long passages = 0;
            double seconds;
            try (RetrievalService node1 = new RetrievalService(cfg, dir.resolve("index1"), dir.resolve("tmp"),
                    transcriber, objects, catalogue, bus, Runnable::run)) {
                // warm-up: JIT, analyzers, first segment (its own owner, not counted)
                for (int i = 0; i < Math.min(10, docs); i++) {
                    upload(node1, catalogue, objects, owner + "-warmup", files[i], kind);
                }
                long start = System.nanoTime();
                for (int i = 0; i < docs; i++) {
                    RetrievalService.Outcome o = upload(node1, catalogue, objects, owner, files[i], kind);
                    if (!o.indexed()) {
                        throw new IllegalStateException("document " + i + ": " + o.error());
                    }
                    passages += o.passages();
                }
                seconds = (System.nanoTime() - start) / 1e9;
            }
            System.out.printf("indexed %d documents, %d passages, %.1f MB of text in %.2f s: %.0f passages/s, "
                            + "%.2f MB/s, %.1f documents/s%n", docs, passages, textBytes / 1e6, seconds,
                    passages / seconds, textBytes / 1e6 / seconds, docs / seconds);

            // a second node with an empty disk: everything comes from the object store, one commit at the end
            try (RetrievalService node2 = new RetrievalService(cfg, dir.resolve("index2"), dir.resolve("tmp"),
                    transcriber, objects, catalogue, bus, Runnable::run)) {
                long t0 = System.nanoTime();
                RetrievalService.CatchUp all = node2.refresh(owner);
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("caught up an empty index from the object store (%d files, one commit) in %.2f s:"
                        + " %.0f passages/s, %.2f MB/s%n", all.added(), s, passages / s, textBytes / 1e6 / s);

                long[] nanos = new long[checks];
                for (int i = 0; i < checks; i++) {
                    long c0 = System.nanoTime();
                    if (node2.refresh(owner).added() != 0) {
                        throw new IllegalStateException("the index was current");
                    }
                    nanos[i] = System.nanoTime() - c0;
                }
                System.out.printf("%d checks of a current index (SQL generation read + compare, %s): %s%n", checks,
                        db.kind(), percentiles(nanos));

                upload(null, catalogue, objects, owner, files[docs], kind); // recorded by another node
                long d0 = System.nanoTime();
                RetrievalService.CatchUp one = node2.refresh(owner);
                System.out.printf("caught up %d new file among %d by difference in %.1f ms%n", one.added(), docs + 1,
                        (System.nanoTime() - d0) / 1e6);

                long[] qnanos = new long[queries];
                int withSources = 0;
                for (int q = 0; q < queries; q++) {
                    StringBuilder question = new StringBuilder("What does my lecture say about");
                    for (int w = 0, n = 4 + random.nextInt(5); w < n; w++) {
                        question.append(' ').append(vocabulary[zipf(random, vocabulary.length)]);
                    }
                    long q0 = System.nanoTime();
                    withSources += node2.retrieve(owner, question.toString()).isEmpty() ? 0 : 1;
                    qnanos[q] = System.nanoTime() - q0;
                }
                System.out.printf("%d queries over %d passages: %s; %d%% found passages above the threshold%n",
                        queries, passages, percentiles(qnanos), 100 * withSources / queries);
            }
        } finally {
            TempDirs.delete(dir);
        }
    }

    /**
     * Stores, records and indexes one file as {@code UploadService} does; with no node, records it as indexed by
     * another node (what a node that was down finds when it comes back).
     */
    private static RetrievalService.Outcome upload(RetrievalService node, UserFileRepository catalogue,
                                                   LocalObjectStore objects, String owner, Path file, FileKind kind) {
        String key = "uploads/" + UUID.randomUUID() + "." + kind.extension();
        objects.put(key, file);
        UserFileRepository.UserFile f = catalogue.insert(owner, file.getFileName().toString(), kind.extension(), key,
                uncheckedSize(file), null);
        if (node == null) {
            catalogue.setStatus(owner, f.id(), RetrievalService.Outcome.INDEXED, null, 1);
            return null;
        }
        return node.indexFile(owner, Long.toString(f.id()), f.filename(), kind, file,
                o -> catalogue.setStatus(owner, f.id(), o.status(), o.error(), o.passages()));
    }

    private static long uncheckedSize(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String percentiles(long[] nanos) {
        Arrays.sort(nanos);
        int n = nanos.length;
        return String.format("p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms", nanos[n / 2] / 1e6,
                nanos[(int) (n * 0.99)] / 1e6, nanos[(int) (n * 0.999)] / 1e6, nanos[n - 1] / 1e6);
    }

    private static Optional<String> stringArg(String[] args, String name) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Optional.of(args[i + 1]);
            }
        }
        return Optional.empty();
    }

    /** Root words and their derived forms: about 1,000 distinct words. */
    static String[] vocabulary(SplittableRandom random) {
        String[] suffixes = {"", "s", "al", "ic", "ation", "ity", "ism", "ive", "ous"};
        String[] out = new String[ROOTS.length * suffixes.length];
        int n = 0;
        for (String r : ROOTS) {
            for (String s : suffixes) {
                out[n++] = r + s;
            }
        }
        for (int i = out.length - 1; i > 0; i--) { // Zipf rank must not follow the alphabet
            int j = random.nextInt(i + 1);
            String t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

    static int zipf(SplittableRandom random, int n) {
        double u = random.nextDouble();
        return (int) Math.min(n - 1, Math.floor(Math.pow(n + 1.0, u)) - 1);
    }

    static String notes(SplittableRandom random, String[] vocabulary, int bytes) {
        StringBuilder b = new StringBuilder(bytes + 200);
        while (b.length() < bytes) {
            int words = 8 + random.nextInt(18);
            for (int w = 0; w < words; w++) {
                String word = random.nextInt(3) == 0 ? GLUE[random.nextInt(GLUE.length)]
                        : vocabulary[zipf(random, vocabulary.length)];
                b.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
                b.append(w == words - 1 ? ". " : " ");
            }
            if (random.nextInt(6) == 0) {
                b.append("\n\n");
            }
        }
        return b.toString();
    }

    private static Path pdf(Path file, String text) throws Exception {
        try (PDDocument doc = new PDDocument()) {
            PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
            String[] words = text.replace("\n", " ").split(" +");
            int w = 0;
            while (w < words.length) {
                PDPage page = new PDPage();
                doc.addPage(page);
                try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                    cs.beginText();
                    cs.setFont(font, 9);
                    cs.setLeading(11);
                    cs.newLineAtOffset(40, 750);
                    for (int line = 0; line < 60 && w < words.length; line++) {
                        StringBuilder l = new StringBuilder();
                        while (w < words.length && l.length() + words[w].length() < 100) {
                            l.append(words[w++]).append(' ');
                        }
                        cs.showText(l.toString());
                        cs.newLine();
                    }
                    cs.endText();
                }
            }
            doc.save(file.toFile());
        }
        return file;
    }

    static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return dflt;
    }
}

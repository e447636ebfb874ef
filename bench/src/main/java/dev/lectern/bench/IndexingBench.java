package dev.lectern.bench;

import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.ai.retrieval.DocumentCatalog;
import dev.lectern.ai.retrieval.FileKind;
import dev.lectern.ai.retrieval.RetrievalService;
import dev.lectern.ai.retrieval.Transcriber;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ConfigLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;

/**
 * {@code bin/bench IndexingBench [--docs 200] [--kb 40] [--queries 2000] [--pdf]}: generates {@code docs} lecture-note
 * documents of about {@code kb} KB of text each (sentences drawn from a Zipf-distributed academic vocabulary, like
 * real notes: a few words very common, most rare), as text files or, with {@code --pdf}, as PDFs of about 3 KB a
 * page; indexes them one by one for one user through {@link RetrievalService#indexFile} with the shipped
 * {@code ai.retrieval} settings (extraction, passages with overlap, Lucene add and commit per file), and reports
 * passages/s and MB/s of text. Then it asks {@code queries} questions of four to eight vocabulary words and reports
 * retrieval latency p50/p99 (analysis, BM25 search, relevance threshold).
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
        boolean pdf = Arrays.asList(args).contains("--pdf");
        Path dir = Files.createTempDirectory("lectern-indexing-bench");
        AiConfig.Retrieval cfg = ConfigLoader.load(Path.of("config/lectern.yaml"),
                Map.of("LECTERN_STORAGE__DATA_DIR", dir.toString())).ai().retrieval();
        SplittableRandom random = new SplittableRandom(42);
        String[] vocabulary = vocabulary(random);
        System.out.printf("generating %d %s documents of ~%d KB ...%n", docs, pdf ? "PDF" : "text", kb);
        Path[] files = new Path[docs];
        long textBytes = 0;
        for (int i = 0; i < docs; i++) {
            String text = notes(random, vocabulary, kb * 1024);
            textBytes += text.getBytes(StandardCharsets.UTF_8).length;
            files[i] = pdf ? pdf(dir.resolve("doc" + i + ".pdf"), text)
                    : Files.writeString(dir.resolve("doc" + i + ".txt"), text);
        }
        List<DocumentCatalog.Entry> catalogue = new java.util.ArrayList<>();
        LocalObjectStore objects = new LocalObjectStore(dir.resolve("objects"), new UrlSigner(new byte[32]), "/o/",
                Clock.systemUTC());
        try (RetrievalService retrieval = new RetrievalService(cfg, dir.resolve("index"), dir.resolve("tmp"),
                new Transcriber(new AiConfig.Transcription("", "", "", 1000), Optional.empty(), null), // off: no client
                objects,
                user -> catalogue)) {
            // warm-up: JIT, analyzers, first segment (its own user, not counted)
            for (int i = 0; i < Math.min(10, docs); i++) {
                retrieval.indexFile("warmup", "w" + i, "w" + i, pdf ? FileKind.PDF : FileKind.TXT, files[i]);
            }
            long passages = 0;
            long start = System.nanoTime();
            for (int i = 0; i < docs; i++) {
                RetrievalService.Outcome o = retrieval.indexFile("bench", "f" + i, files[i].getFileName().toString(),
                        pdf ? FileKind.PDF : FileKind.TXT, files[i]);
                if (!o.status().equals(RetrievalService.Outcome.INDEXED)) {
                    throw new IllegalStateException("document " + i + ": " + o.error());
                }
                passages += o.passages();
                String key = "uploads/doc" + i + "." + (pdf ? "pdf" : "txt");
                catalogue.add(new DocumentCatalog.Entry("f" + i, files[i].getFileName().toString(),
                        pdf ? FileKind.PDF : FileKind.TXT, key));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("indexed %d documents, %d passages, %.1f MB of text in %.2f s: %.0f passages/s, "
                            + "%.2f MB/s, %.1f documents/s%n", docs, passages, textBytes / 1e6, seconds,
                    passages / seconds, textBytes / 1e6 / seconds, docs / seconds);

            // the same documents again, as a rebuild from the object store does them: one commit at the end
            for (DocumentCatalog.Entry e : catalogue) {
                objects.put(e.objectKey(), dir.resolve(e.filename()));
            }
            try (var walk = Files.walk(retrieval.index().directory("bench"))) {
                retrieval.close();
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            try (RetrievalService rebuilt = new RetrievalService(cfg, dir.resolve("index"), dir.resolve("tmp"),
                    new Transcriber(new AiConfig.Transcription("", "", "", 1000), Optional.empty(), null), // off: no client
                objects,
                    user -> catalogue)) {
                long t0 = System.nanoTime();
                rebuilt.retrieve("bench", "warm");
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("rebuilt the same index from the object store (one commit) in %.2f s: %.0f "
                        + "passages/s, %.2f MB/s%n", s, passages / s, textBytes / 1e6 / s);
                long[] nanos = new long[queries];
                int withSources = 0;
                for (int q = 0; q < queries; q++) {
                    StringBuilder question = new StringBuilder("What does my lecture say about");
                    for (int w = 0, n = 4 + random.nextInt(5); w < n; w++) {
                        question.append(' ').append(vocabulary[zipf(random, vocabulary.length)]);
                    }
                    long q0 = System.nanoTime();
                    withSources += rebuilt.retrieve("bench", question.toString()).isEmpty() ? 0 : 1;
                    nanos[q] = System.nanoTime() - q0;
                }
                Arrays.sort(nanos);
                System.out.printf("%d queries over %d passages: p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d%% found "
                                + "passages above the threshold%n", queries, passages, nanos[queries / 2] / 1e6,
                        nanos[(int) (queries * 0.99)] / 1e6, nanos[queries - 1] / 1e6, 100 * withSources / queries);
            }
        } finally {
            TempDirs.delete(dir);
        }
    }

    /** Root words and their derived forms: about 1,000 distinct words. */
    private static String[] vocabulary(SplittableRandom random) {
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

    private static int zipf(SplittableRandom random, int n) {
        double u = random.nextDouble();
        return (int) Math.min(n - 1, Math.floor(Math.pow(n + 1.0, u)) - 1);
    }

    private static String notes(SplittableRandom random, String[] vocabulary, int bytes) {
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

    private static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return dflt;
    }
}

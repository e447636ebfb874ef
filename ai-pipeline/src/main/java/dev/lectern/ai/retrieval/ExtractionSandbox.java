package dev.lectern.ai.retrieval;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads PDF and DOCX files in a child JVM with its own small heap and a wall-clock limit, so that a decompression
 * bomb costs that child (which dies of {@code OutOfMemoryError} or is killed) and never this process. PDFBox decodes
 * a page's content streams whole into memory, so no limit inside this JVM holds inside a page; a process boundary
 * does. The children run on this sandbox's own small executor (not the shared blocking pool), with a bounded queue:
 * when it is full the document fails as "busy" rather than queueing without end. Text and Markdown are read here
 * (they are read in bounded chunks). The child gets a cleared environment: no secret of this process reaches it.
 */
public final class ExtractionSandbox implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(ExtractionSandbox.class);
    private static final int EXIT_OK = 0;
    private static final int EXIT_REFUSED = 2;
    /** The exit status {@code -XX:+ExitOnOutOfMemoryError} gives. */
    private static final int EXIT_OOM = 3;

    private final TextExtractor inProcess;
    private final long maxChars;
    private final double maxInflateRatio;
    private final int heapMb;
    private final long timeoutMillis;
    private final Path tmpDir;
    private final ThreadPoolExecutor executor;

    /**
     * @param heapMb        the child's {@code -Xmx}
     * @param timeoutMillis the child is killed after this long
     * @param concurrency   children at once; as many again may wait (times four), the rest fail as busy
     */
    public ExtractionSandbox(long maxChars, double maxInflateRatio, int heapMb, long timeoutMillis, int concurrency,
                             Path tmpDir) {
        this.inProcess = new TextExtractor(maxChars, maxInflateRatio);
        this.maxChars = maxChars;
        this.maxInflateRatio = maxInflateRatio;
        this.heapMb = heapMb;
        this.timeoutMillis = timeoutMillis;
        this.tmpDir = tmpDir;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(concurrency, concurrency, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(concurrency * 4), r -> {
                    Thread t = new Thread(r, "lectern-extract-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.executor.allowCoreThreadTimeOut(true);
    }

    /** The text of the document, page by page; blocks until the child is done (at most the timeout, plus queueing). */
    public List<PageText> extract(FileKind kind, Path file) throws ExtractionException {
        if (kind != FileKind.PDF && kind != FileKind.DOCX) {
            return inProcess.extract(kind, file);
        }
        Future<List<PageText>> f;
        try {
            f = executor.submit(() -> inChild(kind, file));
        } catch (RejectedExecutionException e) {
            throw new ExtractionException("the server is busy reading other documents; upload the file again later");
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new ExtractionException("reading the document was interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ExtractionException x) {
                throw x;
            }
            logger.warn("extracting {} failed", file, e.getCause());
            throw new ExtractionException("the document could not be read");
        }
    }

    private List<PageText> inChild(FileKind kind, Path file) throws ExtractionException, IOException {
        Path out = Files.createTempFile(tmpDir, "extract-", ".bin");
        Process p = null;
        try {
            ProcessBuilder pb = new ProcessBuilder(command(kind, file, out))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Map<String, String> env = pb.environment();
            Map<String, String> keep = new java.util.HashMap<>();
            for (String k : List.of("PATH", "HOME", "LANG", "TMPDIR")) {
                if (System.getenv(k) != null) {
                    keep.put(k, System.getenv(k));
                }
            }
            env.clear();
            env.putAll(keep);
            p = pb.start();
            if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                throw new ExtractionException("the document took too long to read (over " + timeoutMillis / 1000
                        + " s); it may be a decompression bomb");
            }
            return switch (p.exitValue()) {
                case EXIT_OK -> readPages(out);
                case EXIT_REFUSED -> throw new ExtractionException(readReason(out));
                case EXIT_OOM -> throw new ExtractionException("the document needs more than " + heapMb
                        + " MB of memory to read; it may be a decompression bomb");
                default -> throw new ExtractionException("the document could not be read (reader exited with "
                        + p.exitValue() + ")");
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExtractionException("reading the document was interrupted");
        } finally {
            if (p != null && p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            Files.deleteIfExists(out);
        }
    }

    private List<String> command(FileKind kind, Path file, Path out) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Xmx" + heapMb + "m", "-Xss1m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:+ExitOnOutOfMemoryError", "-XX:ActiveProcessorCount=1", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), ExtractionSandbox.class.getName(),
                kind.name(), file.toAbsolutePath().toString(), out.toAbsolutePath().toString(),
                Long.toString(maxChars), Double.toString(maxInflateRatio));
    }

    private List<PageText> readPages(Path out) throws IOException, ExtractionException {
        List<PageText> pages = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(out)))) {
            long total = 0;
            while (true) {
                int page;
                try {
                    page = in.readInt();
                } catch (EOFException e) {
                    break;
                }
                int len = in.readInt();
                total += len;
                if (len < 0 || total > maxChars * 4 + 16) {
                    throw new ExtractionException("the document could not be read (malformed reader output)");
                }
                pages.add(new PageText(page, new String(in.readNBytes(len), StandardCharsets.UTF_8)));
            }
        }
        return pages;
    }

    private static String readReason(Path out) throws IOException {
        try (InputStream in = Files.newInputStream(out)) {
            String reason = new String(in.readNBytes(1000), StandardCharsets.UTF_8).strip();
            return reason.isEmpty() ? "the document could not be read" : reason;
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** The child: {@code KIND FILE OUT MAX_CHARS MAX_INFLATE_RATIO}; pages go to OUT, a refusal's reason too. */
    public static void main(String[] args) throws IOException {
        FileKind kind = FileKind.valueOf(args[0]);
        Path file = Path.of(args[1]);
        Path out = Path.of(args[2]);
        TextExtractor extractor = new TextExtractor(Long.parseLong(args[3]), Double.parseDouble(args[4]));
        List<PageText> pages;
        try {
            pages = extractor.extract(kind, file);
        } catch (ExtractionException e) {
            Files.writeString(out, e.getMessage());
            System.exit(EXIT_REFUSED);
            return;
        }
        try (OutputStream o = Files.newOutputStream(out);
             DataOutputStream d = new DataOutputStream(new java.io.BufferedOutputStream(o))) {
            for (PageText p : pages) {
                byte[] text = p.text().getBytes(StandardCharsets.UTF_8);
                d.writeInt(p.page());
                d.writeInt(text.length);
                d.write(text);
            }
        }
        System.exit(EXIT_OK);
    }
}

package dev.lectern.ai.retrieval;

import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.config.AiConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retrieval over each user's uploaded documents: indexes an upload (extraction, or transcription for audio), finds
 * the passages relevant to a question, removes a file's passages, and rebuilds a user's index from the object store
 * when it is missing (a new node, a lost disk). Work on one user's index is serialised; every method blocks: call
 * from the blocking executor.
 */
public final class RetrievalService implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(RetrievalService.class);
    private static final int LOCK_STRIPES = 64;

    /** What indexing an upload did: {@code indexed} (with the passage count), {@code failed} or {@code not_indexed}. */
    public record Outcome(String status, int passages, String error) {
        public static final String INDEXED = "indexed";
        public static final String FAILED = "failed";
        public static final String NOT_INDEXED = "not_indexed";
    }

    private final AiConfig.Retrieval config;
    private final DocumentIndex index;
    private final TextExtractor extractor;
    private final Transcriber transcriber;
    private final ObjectStore objects;
    private final DocumentCatalog catalog;
    private final Path tmpDir;
    private final Object[] locks = new Object[LOCK_STRIPES];

    public RetrievalService(AiConfig.Retrieval config, Path indexDir, Path tmpDir, Transcriber transcriber,
                            ObjectStore objects, DocumentCatalog catalog) {
        this.config = config;
        this.index = new DocumentIndex(indexDir, 256);
        this.extractor = new TextExtractor(config.maxExtractedChars(), config.maxInflateRatio());
        this.transcriber = transcriber;
        this.objects = objects;
        this.catalog = catalog;
        try {
            this.tmpDir = Files.createDirectories(tmpDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    public DocumentIndex index() {
        return index;
    }

    public boolean transcriptionEnabled() {
        return transcriber != null && transcriber.enabled();
    }

    /** Indexes one upload of the user from its (spooled) file. Never throws for a bad document: it fails that file. */
    public Outcome indexFile(String userId, String fileId, String filename, FileKind kind, Path file) {
        List<PageText> pages;
        try {
            pages = text(kind, file, filename);
        } catch (ExtractionException e) {
            return new Outcome(Outcome.FAILED, 0, e.getMessage());
        } catch (NotIndexed e) {
            return new Outcome(Outcome.NOT_INDEXED, 0, e.getMessage());
        }
        List<Passages.Chunk> chunks = Passages.split(pages, config.passageChars(), config.overlapChars());
        synchronized (lock(userId)) {
            ensure(userId);
            index.add(userId, fileId, filename, chunks);
        }
        return new Outcome(Outcome.INDEXED, chunks.size(), null);
    }

    /** The passages relevant to a question (at most {@code topPassages}, above the threshold), best first. */
    public List<Passage> retrieve(String userId, String question) {
        if (config.topPassages() == 0) {
            return List.of();
        }
        synchronized (lock(userId)) {
            ensure(userId);
            return index.search(userId, question, config.topPassages(), config.minTermCoverage());
        }
    }

    /** Removes a file's passages from the user's index. */
    public void deleteFile(String userId, String fileId) {
        synchronized (lock(userId)) {
            index.deleteFile(userId, fileId);
        }
    }

    /** Rebuilds the user's index from the object store when it is missing; returns how many files were re-indexed. */
    int ensure(String userId) {
        if (!index.missing(userId)) {
            return 0;
        }
        int n = 0;
        for (DocumentCatalog.Entry e : catalog.indexedFiles(userId)) {
            Path tmp = null;
            try {
                tmp = Files.createTempFile(tmpDir, "rebuild-", "." + e.kind().extension());
                if (!objects.copyTo(e.objectKey(), tmp)) {
                    logger.warn("rebuilding the index of user {}: object {} is gone", userId, e.objectKey());
                    continue;
                }
                List<PageText> pages = text(e.kind(), tmp, e.filename());
                index.add(userId, e.fileId(), e.filename(),
                        Passages.split(pages, config.passageChars(), config.overlapChars()), false);
                n++;
            } catch (ExtractionException | NotIndexed | IOException | RuntimeException ex) {
                logger.warn("rebuilding the index of user {}: file {} skipped: {}", userId, e.fileId(), ex.toString());
            } finally {
                deleteQuietly(tmp);
            }
        }
        index.create(userId); // one commit for the whole rebuild: from here on the index is no longer missing
        if (n > 0) {
            logger.info("rebuilt the index of user {} from the object store: {} files", userId, n);
        }
        return n;
    }

    private List<PageText> text(FileKind kind, Path file, String filename) throws ExtractionException, NotIndexed {
        return switch (kind.category()) {
            case DOCUMENT -> extractor.extract(kind, file);
            case AUDIO -> {
                if (!transcriptionEnabled()) {
                    throw new NotIndexed("audio is stored but not transcribed: no transcription service is configured");
                }
                String text = transcriber.transcribe(file, filename, ObjectStore.contentType("x." + kind.extension()));
                if (text.isBlank()) {
                    throw new ExtractionException("the transcript is empty");
                }
                yield Transcriber.asPages(text);
            }
            case IMAGE -> throw new NotIndexed("images are stored but not indexed");
        };
    }

    private Object lock(String userId) {
        return locks[Math.floorMod(userId.hashCode(), locks.length)];
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                logger.warn("cannot delete temporary file {}", p);
            }
        }
    }

    @Override
    public void close() {
        index.close();
    }

    /** A file that is kept but has nothing to index (images; audio without a transcription service). */
    private static final class NotIndexed extends Exception {
        private static final long serialVersionUID = 1L;

        NotIndexed(String message) {
            super(message, null, false, false);
        }
    }
}

package dev.lectern.ai.retrieval;

import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retrieval over each owner's uploaded documents: indexes an upload (extraction, or transcription for audio), finds
 * the passages relevant to a question, and removes a file's passages.
 *
 * <p>The SQL catalogue decides what an owner's index must hold; this node's Lucene index follows it. Before every
 * search the owner's catalogue generation is read (one primary-key lookup) and compared with the generation the local
 * index recorded; when the index is behind, the difference is applied first: files the catalogue no longer lists are
 * removed, files missing here (or indexed at an older version) are fetched from the shared object store and indexed.
 * So a question asked on any node after an upload or delete was acknowledged sees it, and a node that was down, or
 * has a new disk, catches up file by file. Deletes and uploads are also announced on the ephemeral store's pub/sub
 * (in-process on one node, Redis in a cluster): every node holding the owner's index drops a deleted file's passages
 * at once and fetches new files in the background, ahead of the next question.
 *
 * <p>Work on one owner's index is serialised; every method blocks: call from the blocking executor.
 */
public final class RetrievalService implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(RetrievalService.class);
    private static final int LOCK_STRIPES = 64;

    /** What indexing an upload did: {@code indexed} (with the passage count), {@code failed} or {@code not_indexed}. */
    public record Outcome(String status, int passages, String error) {
        public static final String INDEXED = "indexed";
        public static final String FAILED = "failed";
        public static final String NOT_INDEXED = "not_indexed";

        public boolean indexed() {
            return status.equals(INDEXED);
        }
    }

    /**
     * Records an upload's outcome in the catalogue, raising the owner's generation in the same transaction, and
     * returns the file's new version (the generation it raised the catalogue to).
     */
    @FunctionalInterface
    public interface Recorder {
        long record(Outcome outcome);
    }

    /** What bringing an index up to date did: files added (or re-indexed), removed, and whether it was rebuilt. */
    public record CatchUp(int added, int removed, boolean rebuilt) {
        static final CatchUp NONE = new CatchUp(0, 0, false);
    }

    /** The pub/sub message announcing a change to an owner's index; {@code deleted} names a file to drop now. */
    record Change(String origin, String owner, String deleted) {}

    private final AiConfig.Retrieval config;
    private final DocumentIndex index;
    private final ExtractionSandbox extractor;
    private final Transcriber transcriber;
    private final ObjectStore objects;
    private final DocumentCatalog catalog;
    private final EphemeralStore bus;
    private final Executor background;
    private final String channel;
    private final String origin = UUID.randomUUID().toString();
    private final EphemeralStore.Subscription subscription;
    private final Path tmpDir;
    private final Object[] locks = new Object[LOCK_STRIPES];

    /**
     * @param bus        carries change announcements between nodes (its pub/sub)
     * @param background runs the work an announcement from another node asks for (the blocking executor)
     */
    public RetrievalService(AiConfig.Retrieval config, Path indexDir, Path tmpDir, Transcriber transcriber,
                            ObjectStore objects, DocumentCatalog catalog, EphemeralStore bus, Executor background) {
        this.config = config;
        this.index = new DocumentIndex(indexDir, 256);
        this.transcriber = transcriber;
        this.objects = objects;
        this.catalog = catalog;
        this.bus = bus;
        this.background = background;
        this.channel = "retrieval:" + catalog.scope();
        try {
            this.tmpDir = Files.createDirectories(tmpDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.extractor = new ExtractionSandbox(config.maxExtractedChars(), config.maxInflateRatio(),
                config.extractHeapMb(), config.extractTimeoutMillis(), config.extractConcurrency(), this.tmpDir);
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
        this.subscription = bus.subscribe(channel, this::onChange);
    }

    public DocumentIndex index() {
        return index;
    }

    public boolean transcriptionEnabled() {
        return transcriber != null && transcriber.enabled();
    }

    /**
     * Indexes one upload of the owner from its (spooled) file: extracts it, has {@code recorder} record the outcome in
     * the catalogue (which raises the owner's generation), then adds the passages to this node's index and tells the
     * other nodes. Never throws for a bad document: it fails that file.
     */
    public Outcome indexFile(String owner, String fileId, String filename, FileKind kind, Path file,
                             Recorder recorder) {
        List<Passages.Chunk> chunks = List.of();
        Outcome outcome;
        try {
            chunks = Passages.split(text(kind, file, filename), config.passageChars(), config.overlapChars());
            outcome = new Outcome(Outcome.INDEXED, chunks.size(), null);
        } catch (ExtractionException e) {
            outcome = new Outcome(Outcome.FAILED, 0, e.getMessage());
        } catch (NotIndexed e) {
            outcome = new Outcome(Outcome.NOT_INDEXED, 0, e.getMessage());
        }
        long version = recorder.record(outcome);
        if (outcome.indexed() || index.exists(owner)) {
            synchronized (lock(owner)) {
                long reflected = index.generation(owner);
                if (outcome.indexed()) {
                    index.put(owner, fileId, version, filename, chunks);
                } else {
                    index.remove(owner, fileId); // a re-index that failed takes the file out
                }
                // other changes may lie between the generation reflected and this one: the next search compares
                index.commit(owner, reflected);
            }
            announce(new Change(origin, owner, null));
        }
        return outcome;
    }

    /** The passages relevant to a question (at most {@code topPassages}, above the threshold), best first. */
    public List<Passage> retrieve(String owner, String question) {
        if (config.topPassages() == 0) {
            return List.of();
        }
        long generation = catalog.generation(owner);
        if (generation == 0 && !index.exists(owner)) {
            return List.of(); // nothing was ever indexed for this owner: no index to open
        }
        synchronized (lock(owner)) {
            catchUp(owner, generation);
            return index.search(owner, question, config.topPassages(), config.minTermCoverage());
        }
    }

    /**
     * Removes a file's passages here and, by announcement, on every node now. Call after the catalogue recorded the
     * delete: a node that misses the announcement still drops the file before its next search of the owner's index.
     */
    public void deleteFile(String owner, String fileId) {
        drop(owner, fileId);
        announce(new Change(origin, owner, fileId));
    }

    /** Brings the owner's index up to the catalogue's current generation (the check every search makes). */
    public CatchUp refresh(String owner) {
        long generation = catalog.generation(owner);
        synchronized (lock(owner)) {
            return catchUp(owner, generation);
        }
    }

    private void drop(String owner, String fileId) {
        synchronized (lock(owner)) {
            if (index.exists(owner)) {
                index.remove(owner, fileId);
                index.commit(owner, index.generation(owner));
            }
        }
    }

    /**
     * Applies the difference between the catalogue at (at least) {@code target} and this node's index, unless the
     * index already reflects it. Removals are committed before any fetch, so a deleted file is never searched again
     * even when the object store is slow or down. A file whose object cannot be fetched for a passing reason leaves
     * the index behind (the next search tries again); a file that cannot be read is skipped for good, as its upload
     * was.
     */
    private CatchUp catchUp(String owner, long target) {
        long reflected = index.generation(owner);
        if (reflected >= target) {
            return CatchUp.NONE;
        }
        boolean rebuild = reflected == DocumentIndex.UNTRACKED;
        List<DocumentCatalog.Entry> wanted = catalog.indexedFiles(owner); // read after target: reflects it or later
        Map<String, Long> held = rebuild ? Map.of() : index.files(owner);
        Set<String> listed = new HashSet<>();
        for (DocumentCatalog.Entry e : wanted) {
            listed.add(e.fileId());
        }
        int removed = 0;
        if (rebuild) {
            index.removeAll(owner);
        }
        for (String fileId : held.keySet()) {
            if (!listed.contains(fileId)) {
                index.remove(owner, fileId);
                removed++;
            }
        }
        if (rebuild || removed > 0) {
            index.commit(owner, rebuild ? 0 : reflected);
        }
        int added = 0;
        boolean complete = true;
        for (DocumentCatalog.Entry e : wanted) {
            Long version = held.get(e.fileId());
            if (version != null && version == e.version()) {
                continue;
            }
            switch (fetch(owner, e)) {
                case ADDED -> added++;
                case UNAVAILABLE -> complete = false;
                case SKIPPED -> { }
            }
        }
        index.commit(owner, complete ? target : Math.max(rebuild ? 0 : reflected, target - 1));
        if (added + removed > 0 || rebuild) {
            logger.atInfo().addKeyValue("owner", owner).addKeyValue("added", added).addKeyValue("removed", removed)
                    .addKeyValue("generation", target).addKeyValue("complete", complete)
                    .log(rebuild ? "index rebuilt from the object store" : "index caught up with the catalogue");
        }
        return new CatchUp(added, removed, rebuild);
    }

    private enum Fetched { ADDED, UNAVAILABLE, SKIPPED }

    /** Fetches one file from the object store and indexes it (uncommitted). */
    private Fetched fetch(String owner, DocumentCatalog.Entry e) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(tmpDir, "catch-up-", "." + e.kind().extension());
            if (!objects.copyTo(e.objectKey(), tmp)) {
                logger.warn("catching up the index of {}: object {} is gone", owner, e.objectKey());
                return Fetched.SKIPPED;
            }
            List<PageText> pages = text(e.kind(), tmp, e.filename());
            index.put(owner, e.fileId(), e.version(), e.filename(),
                    Passages.split(pages, config.passageChars(), config.overlapChars()));
            return Fetched.ADDED;
        } catch (ExtractionException | NotIndexed ex) {
            logger.warn("catching up the index of {}: file {} skipped: {}", owner, e.fileId(), ex.getMessage());
            return Fetched.SKIPPED;
        } catch (IOException | RuntimeException ex) {
            logger.warn("catching up the index of {}: file {} not fetched, trying again at the next search: {}",
                    owner, e.fileId(), ex.toString());
            return Fetched.UNAVAILABLE;
        } finally {
            deleteQuietly(tmp);
        }
    }

    private void announce(Change change) {
        try {
            bus.publish(channel, Json.write(change));
        } catch (RuntimeException e) {
            // the catalogue has the change: other nodes see it at their next search of this owner's index
            logger.warn("cannot announce a change to the index of {}: {}", change.owner(), e.toString());
        }
    }

    /** Another node changed an owner's index: drop a deleted file now, and catch up if this node holds the index. */
    private void onChange(String message) {
        Change change;
        try {
            change = Json.MAPPER.readValue(message, Change.class);
        } catch (IOException | RuntimeException e) {
            logger.warn("ignoring a malformed index announcement on {}", channel);
            return;
        }
        if (origin.equals(change.origin()) || change.owner() == null || !index.exists(change.owner())) {
            return;
        }
        try {
            background.execute(() -> {
                try {
                    if (change.deleted() != null) {
                        drop(change.owner(), change.deleted());
                    }
                    refresh(change.owner());
                } catch (RuntimeException e) {
                    logger.warn("applying an index announcement for {} failed; the next search catches up: {}",
                            change.owner(), e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            if (change.deleted() != null) {
                drop(change.owner(), change.deleted()); // a delete must not wait for a free thread
            }
        }
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

    private Object lock(String owner) {
        return locks[Math.floorMod(owner.hashCode(), locks.length)];
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
        subscription.close();
        extractor.close();
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

package dev.lectern.courses;

import dev.lectern.ai.retrieval.DocumentIndex;
import dev.lectern.ai.retrieval.ExtractionException;
import dev.lectern.ai.retrieval.FileKind;
import dev.lectern.ai.retrieval.PageText;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.ai.retrieval.Passages;
import dev.lectern.ai.retrieval.TextExtractor;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.sql.SqlDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Lucene index per course (a {@link DocumentIndex} of its own, apart from the students' upload indexes): the
 * passages of the course's indexed materials (file name and page) and of its lectures' transcripts (the lecture's
 * title; the passage's page is its transcript segment's number + 1, resolved to the segment's start and end).
 *
 * <p>The SQL store is the source of truth: every change of what a course's index must hold raises the course's
 * {@code index_generation} in the transaction that records it. A change is applied here at once when this node's index
 * is exactly one generation behind, and announced on the ephemeral store's pub/sub (Redis in a cluster): every other
 * node holding the course's index applies it in the background (the file's passages read from SQL) when it is just
 * behind, or rebuilds. A node that missed announcements (or whose index is new) rebuilds the course's index from the
 * catalogue at its next search: materials' passages as extracted at upload ({@code course_material_passages}; a
 * material stored before them is fetched and extracted once, and its passages kept), transcripts from SQL. Searches
 * run on the index's open searcher (refreshed on commit) and resolve lecture passages' times from a per-lecture cache
 * dropped whenever the lecture's passages change here. Work on one course's index is serialised; every method
 * blocks: call from the blocking executor.
 */
public final class CourseIndex implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(CourseIndex.class);
    private static final int LOCK_STRIPES = 64;

    private final SqlDatabase db;
    private final ObjectStore objects;
    private final AiConfig.Retrieval retrieval;
    private final double minCoverage;
    private final DocumentIndex index;
    private final TextExtractor extractor;
    private final Path tmpDir;
    private final CourseRepository repo = new CourseRepository();
    private final Object[] locks = new Object[LOCK_STRIPES];
    /** Segment times ({@code [start, end]} ms by seq) of lectures cited lately; dropped when a lecture changes. */
    private final Map<String, Map<Integer, long[]>> segmentTimes = new ConcurrentHashMap<>();
    private final EphemeralStore bus;
    private final Executor background;
    private final String origin = UUID.randomUUID().toString();
    private final EphemeralStore.Subscription subscription;

    /** The pub/sub message announcing a change of one file of a course's index that raised it to generation. */
    record Change(String origin, String courseId, String fileId, long generation) {}

    static final String CHANNEL = "courses:index";
    private static final int MAX_CACHED_LECTURES = 4096;

    /** One node alone (no announcements). */
    public CourseIndex(SqlDatabase db, ObjectStore objects, AiConfig.Retrieval retrieval, double minCoverage,
                       Path indexDir, Path tmpDir) {
        this(db, objects, retrieval, minCoverage, indexDir, tmpDir, null, Runnable::run);
    }

    /**
     * @param bus        carries change announcements between nodes (its pub/sub); null for one node alone
     * @param background applies another node's announced changes (the blocking executor)
     */
    public CourseIndex(SqlDatabase db, ObjectStore objects, AiConfig.Retrieval retrieval, double minCoverage,
                       Path indexDir, Path tmpDir, EphemeralStore bus, Executor background) {
        this.db = db;
        this.objects = objects;
        this.retrieval = retrieval;
        this.minCoverage = minCoverage;
        this.index = new DocumentIndex(indexDir, 128);
        this.extractor = new TextExtractor(retrieval.maxExtractedChars(), retrieval.maxInflateRatio());
        try {
            this.tmpDir = Files.createDirectories(tmpDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
        this.bus = bus;
        this.background = background;
        this.subscription = bus == null ? null : bus.subscribe(CHANNEL, this::onChange);
    }

    /** Extracts a material's pages (throws for a document that cannot be read). */
    List<PageText> extract(FileKind kind, Path file) throws ExtractionException {
        return extractor.extract(kind, file);
    }

    List<Passages.Chunk> chunks(List<PageText> pages) {
        return Passages.split(pages, retrieval.passageChars(), retrieval.overlapChars());
    }

    /** A lecture's transcript as chunks: one "page" per segment (its number + 1), so every passage knows its time. */
    List<Passages.Chunk> transcriptChunks(List<TranscriptSegment> segments) {
        List<PageText> pages = new ArrayList<>();
        for (TranscriptSegment s : segments) {
            if (!s.text().isBlank()) {
                pages.add(new PageText(s.seq() + 1, s.text()));
            }
        }
        return chunks(pages);
    }

    /**
     * Applies one recorded change (a file put, or removed when {@code chunks} is null) that raised the course to
     * {@code generation}, when this node's index is just behind it (else the next search rebuilds), and announces it
     * to the other nodes.
     */
    void apply(String courseId, String fileId, String name, List<Passages.Chunk> chunks, long generation) {
        synchronized (lock(courseId)) {
            applyHeld(courseId, fileId, name, chunks, generation);
        }
        announce(new Change(origin, courseId, fileId, generation));
    }

    /** {@link #apply} here, holding the course's lock. */
    private void applyHeld(String courseId, String fileId, String name, List<Passages.Chunk> chunks,
                           long generation) {
        if (!index.exists(courseId) || index.generation(courseId) != generation - 1) {
            return;
        }
        if (chunks == null) {
            index.remove(courseId, fileId);
        } else {
            index.put(courseId, fileId, generation, name, chunks);
        }
        index.commit(courseId, generation);
        if (fileId.startsWith("l-")) {
            segmentTimes.remove(fileId.substring(2));
        }
    }

    /**
     * A stored material's chunks as extracted at upload (SQL). A material indexed before they were kept is fetched
     * from the object store and extracted once, and its chunks stored; null when its object is missing.
     */
    List<Passages.Chunk> materialChunks(Material m) throws IOException, ExtractionException {
        List<Passages.Chunk> stored = db.query(c -> repo.passages(c, m.id()));
        if (!stored.isEmpty() || m.passages() == 0) {
            return stored;
        }
        Path tmp = Files.createTempFile(tmpDir, "course-", "." + m.fileType());
        try {
            if (!objects.copyTo(m.objectKey(), tmp)) {
                return null;
            }
            FileKind kind = FileKind.fromName("x." + m.fileType()).orElseThrow();
            List<Passages.Chunk> chunks = chunks(extract(kind, tmp));
            db.transaction(c -> {
                if (repo.material(c, m.id()).isPresent()) { // not deleted meanwhile
                    repo.insertPassages(c, m.id(), chunks);
                }
                return null;
            });
            return chunks;
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                logger.warn("cannot delete {}", tmp);
            }
        }
    }

    static String materialFile(String materialId) {
        return "m-" + materialId;
    }

    static String lectureFile(String lectureId) {
        return "l-" + lectureId;
    }

    /** The course's passages relevant to the question (at most {@code limit}), best first. */
    public List<CoursePassage> search(String courseId, String question, int limit) {
        long generation = db.query(c -> repo.generation(c, courseId));
        if (generation == 0) {
            return List.of(); // nothing was ever indexed for this course
        }
        if (!index.exists(courseId) || index.generation(courseId) < generation) {
            synchronized (lock(courseId)) {
                if (!index.exists(courseId) || index.generation(courseId) < generation) {
                    rebuild(courseId, generation);
                }
            }
        }
        // the searcher is refreshed on every commit: no lock needed to read it
        return resolve(index.search(courseId, question, limit, minCoverage));
    }

    /** Maps index passages to their sources; lecture passages get their segment's start and end (cached). */
    private List<CoursePassage> resolve(List<Passage> found) {
        List<CoursePassage> out = new ArrayList<>(found.size());
        for (Passage p : found) {
            if (p.fileId().startsWith("l-")) {
                String lectureId = p.fileId().substring(2);
                long[] t = times(lectureId).getOrDefault(p.page() - 1, new long[] {0, 0});
                out.add(new CoursePassage(CoursePassage.LECTURE, lectureId, p.filename(), 0, t[0], t[1],
                        p.text(), p.score()));
            } else {
                out.add(new CoursePassage(CoursePassage.MATERIAL, p.fileId().substring(2), p.filename(),
                        p.page(), 0, 0, p.text(), p.score()));
            }
        }
        return out;
    }

    /**
     * A lecture's segment times by seq, read once from SQL and kept until the lecture's passages change on this node
     * (a removal waits for a read in progress, so no stale read outlives the change that made it stale).
     */
    private Map<Integer, long[]> times(String lectureId) {
        if (segmentTimes.size() > MAX_CACHED_LECTURES) {
            segmentTimes.clear();
        }
        return segmentTimes.computeIfAbsent(lectureId, id -> db.query(c -> repo.allSegmentTimes(c, id)));
    }

    /** Rebuilds the course's index from the catalogue (called holding the course's lock). */
    private void rebuild(String courseId, long generation) {
        record Source(List<Material> materials, List<Lecture> lectures) {}
        Source src = db.query(c -> new Source(repo.materials(c, courseId), repo.lectures(c, courseId)));
        index.removeAll(courseId);
        int files = 0;
        boolean complete = true;
        for (Material m : src.materials()) {
            try {
                Loaded f = material(m);
                if (f != null) {
                    index.put(courseId, materialFile(m.id()), generation, f.name(), f.chunks());
                    files++;
                }
            } catch (IOException | RuntimeException e) {
                complete = false;
                logger.warn("course {} index: material {} not fetched, trying at the next search: {}", courseId,
                        m.id(), e.toString());
            }
        }
        for (Lecture l : src.lectures()) {
            Loaded f = lecture(l);
            segmentTimes.remove(l.id());
            if (f != null) {
                index.put(courseId, lectureFile(l.id()), generation, f.name(), f.chunks());
                files++;
            }
        }
        index.commit(courseId, complete ? generation : generation - 1);
        logger.atInfo().addKeyValue("course", courseId).addKeyValue("files", files)
                .addKeyValue("generation", generation).log("course index rebuilt from the catalogue");
    }

    /** A file's name and passages as the catalogue has them now; null when it has none to index. */
    private record Loaded(String name, List<Passages.Chunk> chunks) {}

    private Loaded material(Material m) throws IOException {
        if (!m.status().equals("indexed")) {
            return null;
        }
        try {
            List<Passages.Chunk> chunks = materialChunks(m);
            if (chunks == null) {
                logger.warn("course {} index: material {} has no object", m.courseId(), m.id());
                return null;
            }
            return new Loaded(m.filename(), chunks);
        } catch (ExtractionException e) {
            logger.warn("course {} index: material {} skipped: {}", m.courseId(), m.id(), e.getMessage());
            return null;
        }
    }

    private Loaded lecture(Lecture l) {
        List<TranscriptSegment> segs = db.query(c -> repo.segments(c, l.id()));
        return segs.isEmpty() ? null : new Loaded(l.title(), transcriptChunks(segs));
    }

    /** One file of a course as the catalogue has it now (null: not in the catalogue, or nothing to index). */
    private Loaded load(String courseId, String fileId) throws IOException {
        String id = fileId.substring(2);
        if (fileId.startsWith("m-")) {
            Material m = db.query(c -> repo.material(c, id)).filter(x -> x.courseId().equals(courseId)).orElse(null);
            return m == null ? null : material(m);
        }
        Lecture l = db.query(c -> repo.lecture(c, id)).filter(x -> x.courseId().equals(courseId)).orElse(null);
        return l == null ? null : lecture(l);
    }

    private void announce(Change change) {
        if (bus == null) {
            return;
        }
        try {
            bus.publish(CHANNEL, Json.write(change));
        } catch (RuntimeException e) {
            // the catalogue has the change: other nodes see it at their next search of this course
            logger.warn("cannot announce a change to the index of course {}: {}", change.courseId(), e.toString());
        }
    }

    /** Another node changed a course's index: follow it now if this node holds that index. */
    private void onChange(String message) {
        Change change;
        try {
            change = Json.MAPPER.readValue(message, Change.class);
        } catch (IOException | RuntimeException e) {
            logger.warn("ignoring a malformed course index announcement");
            return;
        }
        if (origin.equals(change.origin()) || change.courseId() == null || change.fileId() == null
                || !index.exists(change.courseId())) {
            return;
        }
        try {
            background.execute(() -> follow(change));
        } catch (RejectedExecutionException e) {
            // no free thread: the next search of the course compares generations and rebuilds
        }
    }

    /**
     * Applies an announced change when this node's index is just behind it (the file's passages as SQL has them now:
     * a later change of the same file is announced too and applied over it), else rebuilds from the catalogue.
     */
    void follow(Change change) {
        String courseId = change.courseId();
        try {
            synchronized (lock(courseId)) {
                if (!index.exists(courseId) || index.generation(courseId) >= change.generation()) {
                    return;
                }
                if (index.generation(courseId) == change.generation() - 1) {
                    Loaded f = load(courseId, change.fileId());
                    applyHeld(courseId, change.fileId(), f == null ? "" : f.name(), f == null ? null : f.chunks(),
                            change.generation());
                } else {
                    rebuild(courseId, db.query(c -> repo.generation(c, courseId)));
                }
            }
        } catch (IOException | RuntimeException e) {
            logger.warn("applying a course index announcement for {} failed; the next search catches up: {}",
                    courseId, e.toString());
        }
    }

    /** The catalogue generation this node's index of the course reflects (0: none held). */
    long generation(String courseId) {
        return index.exists(courseId) ? index.generation(courseId) : 0;
    }

    /** Passages held for a course on this node (tests, the benchmark). */
    public int count(String courseId) {
        return index.exists(courseId) ? index.count(courseId) : 0;
    }

    private Object lock(String courseId) {
        return locks[Math.floorMod(courseId.hashCode(), locks.length)];
    }

    @Override
    public void close() {
        if (subscription != null) {
            subscription.close();
        }
        index.close();
    }
}

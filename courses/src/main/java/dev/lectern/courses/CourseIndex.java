package dev.lectern.courses;

import dev.lectern.ai.retrieval.DocumentIndex;
import dev.lectern.ai.retrieval.ExtractionException;
import dev.lectern.ai.retrieval.FileKind;
import dev.lectern.ai.retrieval.PageText;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.ai.retrieval.Passages;
import dev.lectern.ai.retrieval.TextExtractor;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.store.sql.SqlDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Lucene index per course (a {@link DocumentIndex} of its own, apart from the students' upload indexes): the
 * passages of the course's indexed materials (file name and page) and of its lectures' transcripts (the lecture's
 * title; the passage's page is its transcript segment's number + 1, resolved to the segment's start and end).
 *
 * <p>The SQL store is the source of truth: every change of what a course's index must hold raises the course's
 * {@code index_generation} in the transaction that records it. A change is applied here at once when this node's index
 * is exactly one generation behind; otherwise (another node made it, or this node's index is new or behind) the next
 * search rebuilds the course's index from the catalogue (materials fetched from the object store, transcripts from
 * SQL). Work on one course's index is serialised; every method blocks: call from the blocking executor.
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

    public CourseIndex(SqlDatabase db, ObjectStore objects, AiConfig.Retrieval retrieval, double minCoverage,
                       Path indexDir, Path tmpDir) {
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
     * {@code generation}, when this node's index is just behind it; else leaves it to the next search's rebuild.
     */
    void apply(String courseId, String fileId, String name, List<Passages.Chunk> chunks, long generation) {
        synchronized (lock(courseId)) {
            if (!index.exists(courseId) || index.generation(courseId) != generation - 1) {
                return;
            }
            if (chunks == null) {
                index.remove(courseId, fileId);
            } else {
                index.put(courseId, fileId, generation, name, chunks);
            }
            index.commit(courseId, generation);
        }
    }

    /**
     * A stored material's chunks, fetched from the object store and extracted again (the text is not kept in SQL);
     * null when its object is missing.
     */
    List<Passages.Chunk> materialChunks(Material m) throws IOException, ExtractionException {
        Path tmp = Files.createTempFile(tmpDir, "course-", "." + m.fileType());
        try {
            if (!objects.copyTo(m.objectKey(), tmp)) {
                return null;
            }
            FileKind kind = FileKind.fromName("x." + m.fileType()).orElseThrow();
            return chunks(extract(kind, tmp));
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
        List<Passage> found;
        synchronized (lock(courseId)) {
            if (!index.exists(courseId) || index.generation(courseId) < generation) {
                rebuild(courseId, generation);
            }
            found = index.search(courseId, question, limit, minCoverage);
        }
        return resolve(found);
    }

    /** Maps index passages to their sources; lecture passages get their segment's start and end from SQL. */
    private List<CoursePassage> resolve(List<Passage> found) {
        if (found.stream().noneMatch(p -> p.fileId().startsWith("l-"))) {
            return found.stream().map(p -> new CoursePassage(CoursePassage.MATERIAL, p.fileId().substring(2),
                    p.filename(), p.page(), 0, 0, p.text(), p.score())).toList();
        }
        return db.query(c -> {
            List<CoursePassage> out = new ArrayList<>(found.size());
            for (Passage p : found) {
                if (p.fileId().startsWith("l-")) {
                    String lectureId = p.fileId().substring(2);
                    long[] t = repo.segmentTimes(c, lectureId, p.page() - 1).orElse(new long[] {0, 0});
                    out.add(new CoursePassage(CoursePassage.LECTURE, lectureId, p.filename(), 0, t[0], t[1],
                            p.text(), p.score()));
                } else {
                    out.add(new CoursePassage(CoursePassage.MATERIAL, p.fileId().substring(2), p.filename(),
                            p.page(), 0, 0, p.text(), p.score()));
                }
            }
            return out;
        });
    }

    /** Rebuilds the course's index from the catalogue (called holding the course's lock). */
    private void rebuild(String courseId, long generation) {
        record Source(List<Material> materials, List<Lecture> lectures) {}
        Source src = db.query(c -> new Source(repo.materials(c, courseId), repo.lectures(c, courseId)));
        index.removeAll(courseId);
        int files = 0;
        boolean complete = true;
        for (Material m : src.materials()) {
            if (!m.status().equals("indexed")) {
                continue;
            }
            try {
                List<Passages.Chunk> chunks = materialChunks(m);
                if (chunks == null) {
                    logger.warn("course {} index: material {} has no object", courseId, m.id());
                    continue;
                }
                index.put(courseId, materialFile(m.id()), generation, m.filename(), chunks);
                files++;
            } catch (ExtractionException e) {
                logger.warn("course {} index: material {} skipped: {}", courseId, m.id(), e.getMessage());
            } catch (IOException | RuntimeException e) {
                complete = false;
                logger.warn("course {} index: material {} not fetched, trying at the next search: {}", courseId,
                        m.id(), e.toString());
            }
        }
        for (Lecture l : src.lectures()) {
            List<TranscriptSegment> segs = db.query(c -> repo.segments(c, l.id()));
            if (!segs.isEmpty()) {
                index.put(courseId, lectureFile(l.id()), generation, l.title(), transcriptChunks(segs));
                files++;
            }
        }
        index.commit(courseId, complete ? generation : generation - 1);
        logger.atInfo().addKeyValue("course", courseId).addKeyValue("files", files)
                .addKeyValue("generation", generation).log("course index rebuilt from the catalogue");
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
        index.close();
    }
}

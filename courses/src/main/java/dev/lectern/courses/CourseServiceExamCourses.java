package dev.lectern.courses;

import dev.lectern.ai.retrieval.ExtractionException;
import dev.lectern.ai.retrieval.Passages;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.courses.exams.ExamCourses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exams' {@link ExamCourses} port answered by the courses feature. Who may teach is {@link CourseService#access}'s
 * lecturer or admin; who may take an exam is a student of the course (enrolled, or through a shared group); lecturers
 * and admins author exams, they do not sit them.
 *
 * <p>Passages are read from the catalogue, not from the Lucene index, so that they are complete, in course order and
 * stable: the lectures by position, each with its transcript segments (one passage per non-blank segment, id
 * {@code lecture:<lectureId>:<seq>}) and then the materials attached to it, then the course's other materials; a
 * material is fetched from the object store and split into the same chunks the index holds (id
 * {@code material:<materialId>:p<page>:<n>}, n counting the chunks of that page). Only indexed materials count. A
 * passage's title is its citation ({@code file.pdf p. 3}, {@code Lecture @ 12:05}). Every method blocks.
 */
public final class CourseServiceExamCourses implements ExamCourses {
    private static final Logger logger = LoggerFactory.getLogger(CourseServiceExamCourses.class);
    private static final String LECTURE = "lecture:";
    private static final String MATERIAL = "material:";

    private final SqlDatabase db;
    private final CourseService courses;
    private final CourseIndex index;
    private final CourseRepository repo = new CourseRepository();

    public CourseServiceExamCourses(SqlDatabase db, CourseService courses, CourseIndex index) {
        this.db = db;
        this.courses = courses;
        this.index = index;
    }

    @Override
    public boolean mayTeach(Principal caller, String courseId) {
        return courses.access(caller, courseId).mayTeach();
    }

    @Override
    public boolean mayTake(Principal caller, String courseId) {
        return courses.access(caller, courseId) == CourseAccess.STUDENT;
    }

    @Override
    public List<Passage> passages(String courseId, List<String> sourceIds, int limit) {
        record Source(List<Lecture> lectures, List<Material> materials) {}
        Source src = db.query(c -> new Source(repo.lectures(c, courseId), repo.materials(c, courseId)));
        List<Passage> out = new ArrayList<>();
        for (Lecture l : src.lectures()) {
            if (out.size() >= limit) {
                return out;
            }
            if (sourceIds.isEmpty() || sourceIds.contains(l.id())) {
                addLecture(l, out, limit);
            }
            for (Material m : src.materials()) {
                if (l.id().equals(m.lectureId()) && (sourceIds.isEmpty() || sourceIds.contains(m.id())
                        || sourceIds.contains(l.id()))) {
                    addMaterial(m, out, limit);
                }
            }
        }
        for (Material m : src.materials()) {
            boolean attached = m.lectureId() != null
                    && src.lectures().stream().anyMatch(l -> l.id().equals(m.lectureId()));
            if (!attached && (sourceIds.isEmpty() || sourceIds.contains(m.id()))) {
                addMaterial(m, out, limit);
            }
        }
        return out.size() > limit ? out.subList(0, limit) : out;
    }

    @Override
    public Optional<Passage> passage(String courseId, String passageId) {
        if (passageId == null) {
            return Optional.empty();
        }
        if (passageId.startsWith(LECTURE)) {
            String[] p = passageId.substring(LECTURE.length()).split(":", -1);
            if (p.length != 2 || !p[1].matches("\\d{1,9}")) {
                return Optional.empty();
            }
            Optional<Lecture> l = db.query(c -> repo.lecture(c, p[0])).filter(x -> x.courseId().equals(courseId));
            if (l.isEmpty()) {
                return Optional.empty();
            }
            List<Passage> out = new ArrayList<>();
            addLecture(l.get(), out, Integer.MAX_VALUE);
            return out.stream().filter(x -> x.id().equals(passageId)).findFirst();
        }
        if (passageId.startsWith(MATERIAL)) {
            String materialId = passageId.substring(MATERIAL.length()).split(":", -1)[0];
            Optional<Material> m = db.query(c -> repo.material(c, materialId))
                    .filter(x -> x.courseId().equals(courseId));
            if (m.isEmpty()) {
                return Optional.empty();
            }
            List<Passage> out = new ArrayList<>();
            addMaterial(m.get(), out, Integer.MAX_VALUE);
            return out.stream().filter(x -> x.id().equals(passageId)).findFirst();
        }
        return Optional.empty();
    }

    private void addLecture(Lecture l, List<Passage> out, int limit) {
        List<TranscriptSegment> segments = db.query(c -> repo.segments(c, l.id()));
        for (TranscriptSegment s : segments) {
            if (out.size() >= limit) {
                return;
            }
            if (!s.text().isBlank()) {
                CoursePassage cp = new CoursePassage(CoursePassage.LECTURE, l.id(), l.title(), 0, s.startMs(),
                        s.endMs(), s.text().strip(), 0);
                out.add(new Passage(LECTURE + l.id() + ":" + s.seq(), l.id(), cp.citation(), cp.text()));
            }
        }
    }

    /** The material's chunks as the index holds them; a material that cannot be read now adds nothing. */
    private void addMaterial(Material m, List<Passage> out, int limit) {
        if (out.size() >= limit || !m.status().equals("indexed")) {
            return;
        }
        try {
            List<Passages.Chunk> chunks = index.materialChunks(m);
            if (chunks == null) {
                logger.warn("course {} material {} has no object", m.courseId(), m.id());
                return;
            }
            int page = Integer.MIN_VALUE;
            int n = 0;
            for (Passages.Chunk chunk : chunks) {
                if (out.size() >= limit) {
                    return;
                }
                n = chunk.page() == page ? n + 1 : 0;
                page = chunk.page();
                CoursePassage cp = new CoursePassage(CoursePassage.MATERIAL, m.id(), m.filename(), page, 0, 0,
                        chunk.text(), 0);
                out.add(new Passage(MATERIAL + m.id() + ":p" + page + ":" + n, m.id(), cp.citation(), cp.text()));
            }
        } catch (ExtractionException e) {
            logger.warn("course {} material {} cannot be read: {}", m.courseId(), m.id(), e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.lectern.courses;

import dev.lectern.ai.retrieval.ExtractionException;
import dev.lectern.ai.retrieval.FileKind;
import dev.lectern.ai.retrieval.FileNames;
import dev.lectern.ai.retrieval.Passages;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.store.sql.SqlDatabase;
import java.nio.file.Path;
import java.util.List;

/**
 * A course's materials: documents (PDF, DOCX, text, Markdown; slides as PDF) uploaded by its lecturers, stored in the
 * content bucket, extracted by the same pipeline as the tutor's uploads and indexed in the course's own index. Those
 * who may take the course list them. Every method blocks.
 */
public final class MaterialService {
    private final SqlDatabase db;
    private final CourseService courses;
    private final CourseIndex index;
    private final ObjectStore objects;
    private final String bucket;
    private final CourseRepository repo = new CourseRepository();

    public MaterialService(SqlDatabase db, CourseService courses, CourseIndex index, ObjectStore objects,
                           String contentBucket) {
        this.db = db;
        this.courses = courses;
        this.index = index;
        this.objects = objects;
        this.bucket = contentBucket;
    }

    /**
     * Stores and indexes an upload already spooled to {@code file}. A document that cannot be read is kept and marked
     * {@code failed} with the reason; a file that is not a document is refused (415).
     */
    public Material upload(Principal caller, String courseId, String lectureIdOrNull, String filename, Path file,
                           long size) {
        courses.requireTeach(caller, courseId);
        if (lectureIdOrNull != null) {
            db.query(c -> repo.lecture(c, lectureIdOrNull).filter(l -> l.courseId().equals(courseId))
                    .orElseThrow(() -> ServiceException.notFound("no such lecture in this course")));
        }
        String name = FileNames.sanitize(filename == null ? "" : filename);
        FileKind kind = FileKind.fromName(name).filter(k -> k.category() == FileKind.Category.DOCUMENT)
                .orElseThrow(() -> new ServiceException(415, "unsupported_file_type",
                        "course materials are pdf, docx, txt or md"));
        if (!kind.matches(file)) {
            throw new ServiceException(415, "unsupported_file_type", "the content is not a " + kind.extension());
        }
        String id = Ids.newId();
        String key = bucket + "/" + courseId + "-" + id + "." + kind.extension();
        objects.put(key, file);
        List<Passages.Chunk> chunks = null;
        String status = "indexed";
        String error = null;
        try {
            chunks = index.chunks(index.extract(kind, file));
        } catch (ExtractionException e) {
            status = "failed";
            error = e.getMessage();
        }
        Material m = new Material(id, courseId, lectureIdOrNull, name, kind.extension(), key, size, status, error,
                chunks == null ? 0 : chunks.size(), caller.userId(), System.currentTimeMillis());
        List<Passages.Chunk> extracted = chunks;
        long generation = db.transaction(c -> {
            repo.insertMaterial(c, m);
            if (extracted != null) {
                repo.insertPassages(c, id, extracted); // kept: the index and exams never extract it again
            }
            return m.status().equals("indexed") ? repo.bumpGeneration(c, courseId) : 0L;
        });
        if (chunks != null) {
            index.apply(courseId, CourseIndex.materialFile(id), name, chunks, generation);
        }
        return m;
    }

    public List<Material> list(Principal caller, String courseId) {
        courses.requireTake(caller, courseId);
        return db.query(c -> repo.materials(c, courseId));
    }

    public Material get(Principal caller, String courseId, String materialId) {
        courses.requireTake(caller, courseId);
        return db.query(c -> repo.material(c, materialId).filter(m -> m.courseId().equals(courseId))
                .orElseThrow(() -> ServiceException.notFound("no such material")));
    }

    public void delete(Principal caller, String courseId, String materialId) {
        courses.requireTeach(caller, courseId);
        Material m = get(caller, courseId, materialId);
        long generation = db.transaction(c -> {
            repo.deleteMaterial(c, materialId);
            return repo.bumpGeneration(c, courseId);
        });
        index.apply(courseId, CourseIndex.materialFile(materialId), m.filename(), null, generation);
        objects.delete(m.objectKey());
    }
}

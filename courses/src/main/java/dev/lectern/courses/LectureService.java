package dev.lectern.courses;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.llm.ChatMessage;
import dev.lectern.ai.retrieval.FileNames;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.Enqueued;
import dev.lectern.jobs.JobContext;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.JobState;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import dev.lectern.jobs.PermanentJobFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A course's lectures in order, their recordings and transcripts, and the jobs that work on them.
 *
 * <p>A recording (audio or video, already spooled to disk by the upload) is checked with {@code ffprobe}, streamed to
 * the audio bucket, and a {@value #TRANSCRIBE} job is queued in the transaction that records it; with no
 * transcription service the recording is kept and marked {@code not_transcribed} with the reason. The job cuts the
 * recording into pieces, transcribes each (retrying a failing one), reports progress, stores the timed segments and
 * indexes them for the course, then queues {@value #NOTES} (summary and key points by the model) when a model is
 * configured. Lecturers may correct a transcript segment; the correction is re-indexed. Every method blocks.
 */
public final class LectureService {
    public static final String TRANSCRIBE = "lecture.transcribe";
    public static final String NOTES = "lecture.notes";
    private static final Set<String> RECORDING_TYPES = Set.of("wav", "mp3", "m4a", "ogg", "opus", "flac", "webm",
            "mp4", "mkv", "mov");
    private static final int MAX_TRANSCRIPT_CHARS_FOR_NOTES = 60_000;

    private final SqlDatabase db;
    private final CourseService courses;
    private final CourseIndex index;
    private final ObjectStore objects;
    private final JobEngine engine;
    private final TranscriptionPipeline pipeline;
    private final ModelAnswers model;
    private final String audioBucket;
    private final Path tmpDir;
    private final CourseRepository repo = new CourseRepository();

    public LectureService(SqlDatabase db, CourseService courses, CourseIndex index, ObjectStore objects,
                          JobEngine engine, TranscriptionPipeline pipeline, ModelAnswers model, String audioBucket,
                          Path tmpDir) {
        this.db = db;
        this.courses = courses;
        this.index = index;
        this.objects = objects;
        this.engine = engine;
        this.pipeline = pipeline;
        this.model = model;
        this.audioBucket = audioBucket;
        try {
            this.tmpDir = Files.createDirectories(tmpDir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // each piece is retried inside the run; a run that still fails is retried once more as a whole
        engine.register(TRANSCRIBE, KindOptions.DEFAULTS.withMaxAttempts(2).withTimeoutMillis(4 * 3_600_000L)
                .withConcurrency(1), this::runTranscribe);
        engine.register(NOTES, KindOptions.DEFAULTS.withMaxAttempts(3), this::runNotes);
        engine.addHook((c, changed) -> {
            for (dev.lectern.jobs.Job job : changed) {
                if (job.state() != JobState.FAILURE && job.state() != JobState.REVOKED) {
                    continue;
                }
                String lectureId = lectureIdOf(job);
                String why = job.error() == null ? "the job " + job.state().name().toLowerCase(Locale.ROOT)
                        : job.error();
                if (job.kind().equals(TRANSCRIBE)) {
                    repo.setTranscriptStatus(c, lectureId, Lecture.T_FAILED, truncate(why),
                            System.currentTimeMillis());
                } else if (job.kind().equals(NOTES)) {
                    repo.setNotesStatus(c, lectureId, "failed", System.currentTimeMillis());
                }
            }
        });
    }

    // ---------------------------------------------------------------- lectures

    public record LectureFields(String title, String date, String description) {}

    public Lecture create(Principal caller, String courseId, LectureFields f) {
        long now = System.currentTimeMillis();
        return db.transaction(c -> {
            courses.teach(c, caller, courseId);
            Lecture l = new Lecture(Ids.newId(), courseId, repo.nextPosition(c, courseId),
                    Ids.required(f.title(), "title", 200), date(f.date()), Ids.optional(f.description(),
                    "description", 20_000), null, null, 0, 0, Lecture.T_NONE, null, null, "", "", "none", now, now);
            repo.insertLecture(c, l);
            return l;
        });
    }

    /** The course's lectures in order (for those who may take it). */
    public List<Lecture> list(Principal caller, String courseId) {
        return db.query(c -> {
            courses.take(c, caller, courseId);
            return repo.lectures(c, courseId);
        });
    }

    public Lecture get(Principal caller, String lectureId) {
        return db.query(c -> visible(c, caller, lectureId));
    }

    public Lecture update(Principal caller, String lectureId, LectureFields f) {
        return db.transaction(c -> {
            Lecture l = taught(c, caller, lectureId);
            repo.updateLecture(c, lectureId, f.title() == null ? l.title() : Ids.required(f.title(), "title", 200),
                    f.date() == null ? l.date() : date(f.date()),
                    f.description() == null ? l.description() : Ids.optional(f.description(), "description", 20_000),
                    System.currentTimeMillis());
            return repo.lecture(c, lectureId).orElseThrow();
        });
    }

    /** Moves a lecture to {@code position} (0-based) in its course's order; the others close up around it. */
    public List<Lecture> move(Principal caller, String lectureId, int position) {
        return db.transaction(c -> {
            Lecture l = taught(c, caller, lectureId);
            List<Lecture> order = new ArrayList<>(repo.lectures(c, l.courseId()));
            if (position < 0 || position >= order.size()) {
                throw ServiceException.badRequest("position: 0-" + (order.size() - 1));
            }
            order.removeIf(x -> x.id().equals(lectureId));
            order.add(position, l);
            for (int i = 0; i < order.size(); i++) {
                repo.setPosition(c, order.get(i).id(), i);
            }
            return repo.lectures(c, l.courseId());
        });
    }

    public void delete(Principal caller, String lectureId) {
        record Deleted(Lecture lecture, long generation) {}
        Deleted d = db.transaction(c -> {
            Lecture x = taught(c, caller, lectureId);
            repo.deleteLecture(c, lectureId);
            return new Deleted(x, repo.bumpGeneration(c, x.courseId()));
        });
        Lecture l = d.lecture();
        long generation = d.generation();
        index.apply(l.courseId(), CourseIndex.lectureFile(lectureId), l.title(), null, generation);
        if (l.recordingKey() != null) {
            objects.delete(l.recordingKey());
        }
    }

    // ---------------------------------------------------------------- recordings

    /**
     * Stores a recording already spooled to {@code file} and queues its transcription (or marks it
     * {@code not_transcribed} when no service is configured). Refuses (415) a file that is not audio or video with
     * sound.
     */
    public Lecture uploadRecording(Principal caller, String lectureId, String filename, Path file, long size) {
        Lecture l = db.query(c -> taught(c, caller, lectureId));
        String name = FileNames.sanitize(filename == null ? "" : filename);
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        if (!RECORDING_TYPES.contains(type)) {
            throw new ServiceException(415, "unsupported_file_type", "a recording is one of " + RECORDING_TYPES);
        }
        long duration;
        try {
            duration = pipeline.probe(file, ProcessBuilder::start);
        } catch (TranscriptionPipeline.TranscriptionException e) {
            throw new ServiceException(415, "unsupported_file_type", e.getMessage());
        }
        String key = audioBucket + "/" + l.courseId() + "-" + lectureId + "-" + Ids.newId().substring(0, 8) + "."
                + type;
        objects.put(key, file);
        long now = System.currentTimeMillis();
        Lecture updated = db.transaction(c -> {
            taught(c, caller, lectureId);
            if (!pipeline.enabled()) {
                repo.setRecording(c, lectureId, key, type, size, duration, Lecture.T_NOT_TRANSCRIBED,
                        "no transcription service is configured (ai.transcription.baseUrl)", null, now);
            } else {
                Enqueued job = engine.enqueue(c, NewJob.of(TRANSCRIBE, Json.write(Map.of("lectureId", lectureId,
                        "courseId", l.courseId(), "key", key))).owner(caller.userId()));
                repo.setRecording(c, lectureId, key, type, size, duration, Lecture.T_QUEUED, null, job.id(), now);
            }
            return repo.lecture(c, lectureId).orElseThrow();
        });
        if (l.recordingKey() != null && !l.recordingKey().equals(key)) {
            objects.delete(l.recordingKey());
        }
        engine.signal();
        return updated;
    }

    /** A signed URL the player can stream the recording from. */
    public String recordingUrl(Principal caller, String lectureId, java.time.Duration ttl) {
        Lecture l = get(caller, lectureId);
        if (l.recordingKey() == null) {
            throw ServiceException.notFound("the lecture has no recording");
        }
        return objects.signedUrl(l.recordingKey(), ttl);
    }

    private String runTranscribe(JobContext ctx) throws Exception {
        JsonNode p = Json.MAPPER.readTree(ctx.payload());
        String lectureId = p.path("lectureId").asText();
        String key = p.path("key").asText();
        Lecture l = db.transaction(c -> {
            Lecture x = repo.lecture(c, lectureId).orElseThrow(() ->
                    new PermanentJobFailure("lecture " + lectureId + " no longer exists"));
            if (!key.equals(x.recordingKey())) {
                throw new PermanentJobFailure("the lecture's recording was replaced");
            }
            repo.setTranscriptStatus(c, lectureId, Lecture.T_TRANSCRIBING, null, System.currentTimeMillis());
            return x;
        });
        Path work = Files.createTempDirectory(tmpDir, "transcribe-");
        try {
            Path recording = work.resolve("recording." + l.recordingType());
            if (!objects.copyTo(key, recording)) {
                throw new PermanentJobFailure("the recording " + key + " is gone from the object store");
            }
            ctx.progress(1, "cutting the recording", null);
            List<TranscriptSegment> segments;
            try {
                segments = pipeline.transcribe(recording, work, l.durationMs(), ctx::start, (done, total) -> {
                    ctx.checkCancelled();
                    ctx.progress(1 + 98.0 * done / total, "piece " + done + " of " + total, null);
                });
            } catch (TranscriptionPipeline.TranscriptionException e) {
                throw new PermanentJobFailure(e.getMessage());
            }
            ctx.checkCancelled();
            long generation = db.transaction(c -> {
                repo.replaceSegments(c, lectureId, segments);
                repo.setTranscriptStatus(c, lectureId, Lecture.T_TRANSCRIBED, null, System.currentTimeMillis());
                if (model.configured()) {
                    engine.enqueue(c, NewJob.of(NOTES, Json.write(Map.of("lectureId", lectureId)))
                            .owner(ctx.owner()));
                    repo.setNotesStatus(c, lectureId, "queued", System.currentTimeMillis());
                }
                return repo.bumpGeneration(c, l.courseId());
            });
            index.apply(l.courseId(), CourseIndex.lectureFile(lectureId), l.title(), index.transcriptChunks(segments),
                    generation);
            engine.signal();
            return Json.write(Map.of("lectureId", lectureId, "segments", segments.size()));
        } finally {
            deleteTree(work);
        }
    }

    // ---------------------------------------------------------------- transcripts and notes

    public List<TranscriptSegment> transcript(Principal caller, String lectureId) {
        return db.query(c -> {
            visible(c, caller, lectureId);
            return repo.segments(c, lectureId);
        });
    }

    /** The transcript as WebVTT: one cue per segment. */
    public String webVtt(Principal caller, String lectureId) {
        StringBuilder b = new StringBuilder("WEBVTT\n\n");
        for (TranscriptSegment s : transcript(caller, lectureId)) {
            if (s.text().isBlank()) {
                continue;
            }
            b.append(s.seq() + 1).append('\n').append(Timestamps.vtt(s.startMs())).append(" --> ")
                    .append(Timestamps.vtt(s.endMs())).append('\n')
                    // a blank line or "-->" would end or break the cue
                    .append(s.text().replace("-->", "->").replaceAll("\\R\\s*\\R", "\n")).append("\n\n");
        }
        return b.toString();
    }

    /** The lecturer's correction of one segment's text; the course index follows. */
    public TranscriptSegment correct(Principal caller, String lectureId, int seq, String text) {
        String t = Ids.required(text, "text", 20_000);
        Lecture l = db.query(c -> taught(c, caller, lectureId));
        record Result(List<TranscriptSegment> segments, long generation) {}
        Result r = db.transaction(c -> {
            if (!repo.correctSegment(c, lectureId, seq, t)) {
                throw ServiceException.notFound("no such segment");
            }
            return new Result(repo.segments(c, lectureId), repo.bumpGeneration(c, l.courseId()));
        });
        index.apply(l.courseId(), CourseIndex.lectureFile(lectureId), l.title(), index.transcriptChunks(r.segments()),
                r.generation());
        return r.segments().stream().filter(s -> s.seq() == seq).findFirst().orElseThrow();
    }

    /** Queues (again) the summary and key points of a transcribed lecture. */
    public String requestNotes(Principal caller, String lectureId) {
        if (!model.configured()) {
            throw new ServiceException(503, "no_model", "no model is configured (ai.providers)");
        }
        Enqueued e = db.transaction(c -> {
            Lecture l = taught(c, caller, lectureId);
            if (!l.transcriptStatus().equals(Lecture.T_TRANSCRIBED)) {
                throw ServiceException.conflict("the lecture has no transcript yet");
            }
            repo.setNotesStatus(c, lectureId, "queued", System.currentTimeMillis());
            return engine.enqueue(c, NewJob.of(NOTES, Json.write(Map.of("lectureId", lectureId)))
                    .owner(caller.userId()));
        });
        engine.signal();
        return e.id();
    }

    private String runNotes(JobContext ctx) throws Exception {
        String lectureId = Json.MAPPER.readTree(ctx.payload()).path("lectureId").asText();
        record Source(Lecture lecture, List<TranscriptSegment> segments) {}
        Source src = db.query(c -> new Source(repo.lecture(c, lectureId).orElseThrow(() ->
                new PermanentJobFailure("lecture " + lectureId + " no longer exists")), repo.segments(c, lectureId)));
        StringBuilder transcript = new StringBuilder();
        for (TranscriptSegment s : src.segments()) {
            if (!s.text().isBlank() && transcript.length() < MAX_TRANSCRIPT_CHARS_FOR_NOTES) {
                transcript.append('[').append(Timestamps.clock(s.startMs())).append("] ").append(s.text()).append('\n');
            }
        }
        if (transcript.length() == 0) {
            throw new PermanentJobFailure("the transcript is empty");
        }
        String answer = model.complete(List.of(
                new ChatMessage("system", "You write lecture notes. Answer in exactly this form:\nSUMMARY:\n<one "
                        + "paragraph>\nKEY POINTS:\n- <point>\n- <point>\nUse only what the transcript says."),
                new ChatMessage("user", "Lecture: " + src.lecture().title() + "\nTranscript:\n" + transcript)),
                800, 300_000);
        String[] notes = splitNotes(answer);
        db.transaction(c -> {
            repo.setNotes(c, lectureId, notes[0], notes[1], "done", System.currentTimeMillis());
            return null;
        });
        return Json.write(Map.of("lectureId", lectureId));
    }

    /** {@code [summary, key points]} from the model's answer; without the headings, all of it is the summary. */
    static String[] splitNotes(String answer) {
        String a = answer.strip();
        int s = a.toUpperCase(Locale.ROOT).indexOf("SUMMARY:");
        int k = a.toUpperCase(Locale.ROOT).indexOf("KEY POINTS:");
        if (k < 0) {
            return new String[] {s < 0 ? a : a.substring(s + 8).strip(), ""};
        }
        String summary = s < 0 || s > k ? a.substring(0, k).strip() : a.substring(s + 8, k).strip();
        return new String[] {summary, a.substring(k + 11).strip()};
    }

    // ---------------------------------------------------------------- checks

    private Lecture visible(java.sql.Connection c, Principal caller, String lectureId) throws java.sql.SQLException {
        Lecture l = repo.lecture(c, lectureId).orElseThrow(() -> ServiceException.notFound("no such lecture"));
        if (!courses.access(c, caller, l.courseId()).mayTake()) {
            throw ServiceException.notFound("no such lecture");
        }
        return l;
    }

    private Lecture taught(java.sql.Connection c, Principal caller, String lectureId) throws java.sql.SQLException {
        Lecture l = visible(c, caller, lectureId);
        if (!courses.access(c, caller, l.courseId()).mayTeach()) {
            throw ServiceException.forbidden("only the course's lecturers may change it");
        }
        return l;
    }

    private static String date(String value) {
        String v = value == null ? "" : value.strip();
        if (!v.isEmpty() && !v.matches("\\d{4}-\\d{2}-\\d{2}")) {
            throw ServiceException.badRequest("date: YYYY-MM-DD");
        }
        return v;
    }

    private static String lectureIdOf(dev.lectern.jobs.Job job) {
        try {
            return Json.MAPPER.readTree(job.payload()).path("lectureId").asText("");
        } catch (IOException e) {
            return "";
        }
    }

    private static String truncate(String s) {
        return s.length() > 500 ? s.substring(0, 500) : s;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.deleteIfExists(x);
                } catch (IOException e) {
                    // swept with the tmp directory
                }
            });
        } catch (IOException e) {
            // nothing to delete
        }
    }
}

package dev.lectern.courses.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lectern.courses.Course;
import dev.lectern.courses.Group;
import dev.lectern.courses.Lecture;
import dev.lectern.courses.Material;
import dev.lectern.courses.Region;
import dev.lectern.courses.TranscriptSegment;
import java.time.Instant;
import java.util.List;

/**
 * The wire shapes of seed 004's routes (ids as strings, snake_case, times ISO-8601): what {@link CoursesApi} writes
 * and reads, and the types its routes declare, so /openapi.json documents exactly this.
 */
public final class CourseViews {
    private CourseViews() {}

    // ---------------------------------------------------------------- the organisation

    public record RegionView(String id, String name) {
        static RegionView of(Region r) {
            return new RegionView(r.id(), r.name());
        }
    }

    public record GroupView(String id, String name, @JsonProperty("region_id") String regionId) {
        static GroupView of(Group g) {
            return new GroupView(g.id(), g.name(), g.regionId());
        }
    }

    public record Regions(List<RegionView> regions) {}

    public record Groups(List<GroupView> groups) {}

    /** A user as the seed shows them: {@code group} (with its region) or null. */
    public record OrgUser(String id, String email, String name, String role, UserGroup group) {
        public record UserGroup(String id, String name, RegionView region) {}
    }

    public record OrgUsers(List<OrgUser> users) {}

    public record NewRegion(String name) {}

    public record NewGroup(@JsonProperty("region_id") String regionId, String name) {}

    /** A group to put the user in, or null to take them out of theirs. */
    public record GroupAssignment(@JsonProperty("group_id") String groupId) {}

    /** student, lecturer or admin. */
    public record RoleChange(String role) {}

    // ---------------------------------------------------------------- courses

    /** A course's fields; on a change, the ones given are set. */
    public record CourseFields(String title, String code, String description, String term, String language) {}

    public record CourseView(String id, String title, String code, String description, String term, String language,
                             @JsonProperty("created_by") String createdBy,
                             @JsonProperty("created_at") String createdAt,
                             @JsonProperty("updated_at") String updatedAt) {
        static CourseView of(Course k) {
            return new CourseView(k.id(), k.title(), k.code(), k.description(), k.term(), k.language(),
                    k.createdBy(), iso(k.createdAt()), iso(k.updatedAt()));
        }
    }

    /**
     * One course with the caller's {@code access} (student, lecturer, admin) and its members: lecturers' and students'
     * user ids (students only for those who teach it), the groups it is shared with.
     */
    public record CourseDetail(String id, String title, String code, String description, String term,
                               String language, @JsonProperty("created_by") String createdBy,
                               @JsonProperty("created_at") String createdAt,
                               @JsonProperty("updated_at") String updatedAt, String access, List<String> lecturers,
                               List<String> groups, List<String> students) {}

    public record CoursePage(List<CourseView> courses, long total, int page, @JsonProperty("page_size") int pageSize) {}

    /** A member to add: {@code user_id} (a lecturer, a student). */
    public record UserMember(@JsonProperty("user_id") String userId) {}

    /** A group to share the course with. */
    public record GroupMember(@JsonProperty("group_id") String groupId) {}

    /** A material upload: the file, and optionally the lecture it belongs to. */
    public record MaterialUpload(dev.lectern.http.multipart.MultipartForm.FilePart file,
                                 @JsonProperty("lecture_id") String lectureId) {}

    /** A recording upload. */
    public record RecordingUpload(dev.lectern.http.multipart.MultipartForm.FilePart file) {}

    /** A material: {@code status} indexed or failed (then {@code error}), with its number of passages. */
    public record MaterialView(String id, @JsonProperty("course_id") String courseId,
                               @JsonProperty("lecture_id") String lectureId, String filename,
                               @JsonProperty("file_type") String fileType, long size, String status, String error,
                               int passages, @JsonProperty("created_at") String createdAt) {
        static MaterialView of(Material x) {
            return new MaterialView(x.id(), x.courseId(), x.lectureId(), x.filename(), x.fileType(), x.size(),
                    x.status(), x.error(), x.passages(), iso(x.createdAt()));
        }
    }

    public record Materials(List<MaterialView> materials) {}

    /** The question of {@code POST /api/courses/{id}/query}. */
    public record Question(String question) {}

    /**
     * One event of a course answer: {@code sources} (with {@code sources}), {@code chunk} ({@code text}),
     * {@code done} ({@code finish_reason}), {@code no_passage} ({@code text}) or {@code error} ({@code code},
     * {@code message}).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record QueryEvent(String type, List<Source> sources, String text,
                             @JsonProperty("finish_reason") String finishReason, String code, String message) {
        /** A cited passage: a material's {@code page} or a lecture's {@code start_ms}/{@code end_ms}. */
        @JsonInclude(JsonInclude.Include.NON_NULL)
        public record Source(String type, String id, String name, String citation,
                             @JsonProperty("start_ms") Long startMs, @JsonProperty("end_ms") Long endMs,
                             Integer page, String text, Float score) {}
    }

    // ---------------------------------------------------------------- lectures

    /** A lecture's fields; on a change, the ones given are set, and {@code position} moves it. */
    public record LectureFields(String title, String date, String description,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Integer position) {}

    /**
     * A lecture: its recording's type, size and duration, the transcript's status (none, queued, transcribing,
     * transcribed, failed, not_transcribed with {@code transcript_reason}), and the notes the model wrote.
     */
    public record LectureView(String id, @JsonProperty("course_id") String courseId, int position, String title,
                              String date, String description, @JsonProperty("has_recording") boolean hasRecording,
                              @JsonProperty("recording_type") String recordingType,
                              @JsonProperty("recording_size") long recordingSize,
                              @JsonProperty("duration_ms") long durationMs,
                              @JsonProperty("transcript_status") String transcriptStatus,
                              @JsonProperty("transcript_reason") String transcriptReason,
                              @JsonProperty("transcript_job_id") String transcriptJobId, String summary,
                              @JsonProperty("key_points") String keyPoints,
                              @JsonProperty("notes_status") String notesStatus,
                              @JsonProperty("updated_at") String updatedAt) {
        static LectureView of(Lecture l) {
            return new LectureView(l.id(), l.courseId(), l.position(), l.title(), l.date(), l.description(),
                    l.recordingKey() != null, l.recordingType(), l.recordingSize(), l.durationMs(),
                    l.transcriptStatus(), l.transcriptReason(), l.transcriptJobId(), l.summary(), l.keyPoints(),
                    l.notesStatus(), iso(l.updatedAt()));
        }
    }

    public record Lectures(List<LectureView> lectures) {}

    /** A signed, expiring URL. */
    public record SignedUrl(String url) {}

    public record Segment(int seq, @JsonProperty("start_ms") long startMs, @JsonProperty("end_ms") long endMs,
                          String text, boolean corrected) {
        static Segment of(TranscriptSegment s) {
            return new Segment(s.seq(), s.startMs(), s.endMs(), s.text(), s.corrected());
        }
    }

    public record Transcript(List<Segment> segments) {}

    /** A segment's corrected text. */
    public record Correction(String text) {}

    /** A queued job: follow it at {@code /api/jobs/{jobId}}. */
    public record JobAccepted(String jobId) {}

    static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}

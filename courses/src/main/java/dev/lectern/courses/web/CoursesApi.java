package dev.lectern.courses.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.llm.LlmException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.courses.Course;
import dev.lectern.courses.CourseQuery;
import dev.lectern.courses.CourseService;
import dev.lectern.courses.Group;
import dev.lectern.courses.Lecture;
import dev.lectern.courses.LectureService;
import dev.lectern.courses.Material;
import dev.lectern.courses.MaterialService;
import dev.lectern.courses.OrgService;
import dev.lectern.courses.Region;
import dev.lectern.courses.TranscriptSegment;
import dev.lectern.http.Access;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Paging;
import dev.lectern.http.Router;
import dev.lectern.http.Types;
import dev.lectern.http.multipart.MultipartForm;
import dev.lectern.http.multipart.MultipartLimits;
import dev.lectern.http.multipart.MultipartUploadHandler;
import dev.lectern.http.sse.EventStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;

/**
 * Seed 004's routes: the organisation ({@code /api/org/…}: regions, groups, users with their group and region),
 * courses with their lecturers, groups and students, materials, lectures with recordings, transcripts (JSON and
 * WebVTT) and notes, and {@code POST /api/courses/{id}/query} (an SSE answer citing its sources). Ids are strings;
 * whatever the caller may not see is a 404.
 */
public final class CoursesApi {
    private static final long SSE_KEEP_ALIVE_MILLIS = 15_000;
    private final OrgService org;
    private final CourseService courses;
    private final MaterialService materials;
    private final LectureService lectures;
    private final CourseQuery query;
    private final MultipartLimits recordingLimits;
    private final MultipartLimits materialLimits;
    private final Executor blocking;
    private final Duration urlTtl;

    public CoursesApi(OrgService org, CourseService courses, MaterialService materials, LectureService lectures,
                      CourseQuery query, MultipartLimits recordingLimits, MultipartLimits materialLimits,
                      Executor blocking, Duration urlTtl) {
        this.org = org;
        this.courses = courses;
        this.materials = materials;
        this.lectures = lectures;
        this.query = query;
        this.recordingLimits = recordingLimits;
        this.materialLimits = materialLimits;
        this.blocking = blocking;
        this.urlTtl = urlTtl;
    }

    public void register(Router.Builder routes) {
        registerOrg(routes);
        registerCourses(routes);
        registerLectures(routes);
        routes.post("/api/courses/{id}/query").access(Access.USER).tag("courses").errors(400, 401, 404)
                .summary("Ask a question about the course: an SSE answer grounded in its materials and lecture "
                        + "transcripts: {type:sources} (file+page or lecture+start_ms), {type:chunk,text}…, "
                        + "{type:done}; {type:no_passage} when nothing in the course is relevant")
                .example(Map.of("question", "What is a derivative?"))
                .request(CourseViews.Question.class).returns(200, CourseViews.QueryEvent.class)
                .sse(SSE_KEEP_ALIVE_MILLIS, this::ask);
    }

    private void registerOrg(Router.Builder routes) {
        routes.post("/api/org/regions").access(Access.USER).blocking().json().tag("org").errors(400, 403)
                .summary("Create a region (admins)").example(Map.of("name", "EMEA"))
                .request(CourseViews.NewRegion.class).returns(201, CourseViews.RegionView.class)
                .handle(r -> created(region(org.createRegion(r.requirePrincipal(), text(r, "name")))));
        routes.get("/api/org/regions").access(Access.USER).blocking().tag("org").summary("Every region")
                .returns(200, CourseViews.Regions.class)
                .handle(r -> ok(new CourseViews.Regions(org.regions().stream().map(CoursesApi::region).toList())));
        routes.post("/api/org/groups").access(Access.USER).blocking().json().tag("org").errors(400, 403, 404)
                .summary("Create a group in a region (admins)").example(Map.of("region_id", "…", "name", "CS 2026"))
                .request(CourseViews.NewGroup.class).returns(201, CourseViews.GroupView.class)
                .handle(r -> created(group(org.createGroup(r.requirePrincipal(), text(r, "region_id"),
                        text(r, "name")))));
        routes.get("/api/org/groups").access(Access.USER).blocking().tag("org").summary("Every group")
                .returns(200, CourseViews.Groups.class)
                .handle(r -> ok(new CourseViews.Groups(org.groups().stream().map(CoursesApi::group).toList())));
        routes.get("/api/org/users").access(Access.USER).blocking().tag("org")
                .summary("The users the caller may see (admins: all; others: their group), as {id, email, name, "
                        + "role, group:{id, name, region:{id, name}}}")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .errors(400).returns(200, CourseViews.OrgUsers.class)
                .handle(r -> {
                    Paging p = Paging.of(r);
                    return ok(Map.of("users", org.users(r.requirePrincipal(), p.pageSize(), p.offset())));
                });
        routes.get("/api/org/users/me").access(Access.USER).blocking().tag("org")
                .summary("The caller, with their group and region").returns(200, CourseViews.OrgUser.class)
                .handle(r -> ok(org.user(r.requirePrincipal(), r.requirePrincipal().userId())));
        routes.get("/api/org/users/{id}").access(Access.USER).blocking().tag("org").errors(404)
                .summary("One user the caller may see").returns(200, CourseViews.OrgUser.class).handle(r -> ok(org.user(r.requirePrincipal(),
                        r.pathParam("id"))));
        routes.put("/api/org/users/{id}/group").access(Access.USER).blocking().json().tag("org").errors(400, 403, 404)
                .summary("Put a user in a group, or take them out with null (admins)")
                .example(Map.of("group_id", "…"))
                .request(CourseViews.GroupAssignment.class).returns(200, CourseViews.OrgUser.class)
                .handle(r -> ok(org.assignGroup(r.requirePrincipal(), r.pathParam("id"), text(r, "group_id"))));
        routes.put("/api/org/users/{id}/role").access(Access.USER).blocking().json().tag("org").errors(400, 403, 404)
                .summary("Set a user's role: student, lecturer or admin (admins)").example(Map.of("role", "lecturer"))
                .request(CourseViews.RoleChange.class).returns(200, CourseViews.OrgUser.class)
                .handle(r -> ok(org.setRole(r.requirePrincipal(), r.pathParam("id"), text(r, "role"))));
    }

    private void registerCourses(Router.Builder routes) {
        routes.post("/api/courses").access(Access.USER).blocking().json().tag("courses").errors(400, 403)
                .summary("Create a course (lecturers, admins); the creator is its first lecturer")
                .example(Map.of("title", "Calculus I", "code", "MA101", "description", "limits first",
                        "term", "2026-autumn", "language", "en"))
                .request(CourseViews.CourseFields.class).returns(201, CourseViews.CourseView.class)
                .handle(r -> created(course(courses.create(r.requirePrincipal(), fields(r)))));
        routes.get("/api/courses").access(Access.USER).blocking().tag("courses")
                .summary("The courses the caller teaches or takes (all for admins), newest first")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .errors(400).returns(200, CourseViews.CoursePage.class)
                .handle(r -> {
                    Principal p = r.requirePrincipal();
                    Paging paging = Paging.of(r);
                    return ok(new CourseViews.CoursePage(courses.list(p, paging.pageSize(), paging.offset()).stream()
                            .map(CoursesApi::course).toList(), courses.count(p), paging.page(), paging.pageSize()));
                });
        routes.get("/api/courses/{id}").access(Access.USER).blocking().tag("courses").errors(404)
                .summary("One course, with the caller's access (student, lecturer, admin) and its members")
                .returns(200, CourseViews.CourseDetail.class)
                .handle(r -> {
                    Principal p = r.requirePrincipal();
                    CourseViews.CourseView k = course(courses.requireTake(p, r.pathParam("id")));
                    Map<String, List<String>> members = courses.members(p, r.pathParam("id"));
                    return ok(new CourseViews.CourseDetail(k.id(), k.title(), k.code(), k.description(), k.term(),
                            k.language(), k.createdBy(), k.createdAt(), k.updatedAt(),
                            courses.access(p, r.pathParam("id")).name().toLowerCase(), members.get("lecturers"),
                            members.get("groups"), members.get("students")));
                });
        routes.patch("/api/courses/{id}").access(Access.USER).blocking().json().tag("courses").errors(400, 403, 404)
                .summary("Change a course's fields (its lecturers)")
                .request(CourseViews.CourseFields.class).returns(200, CourseViews.CourseView.class)
                .handle(r -> ok(course(courses.update(r.requirePrincipal(), r.pathParam("id"), fields(r)))));
        routes.delete("/api/courses/{id}").access(Access.USER).blocking().tag("courses").errors(403, 404)
                .summary("Delete a course with its lectures and materials").returns(204, Void.class).handle(r -> {
                    courses.delete(r.requirePrincipal(), r.pathParam("id"));
                    return ApiResponse.noContent().async();
                });
        member(routes, "lecturers", "user_id", CourseViews.UserMember.class, "a co-lecturer", courses::addLecturer,
                courses::removeLecturer);
        member(routes, "groups", "group_id", CourseViews.GroupMember.class, "a group the course is shared with",
                courses::share, courses::unshare);
        member(routes, "students", "user_id", CourseViews.UserMember.class, "an explicitly enrolled student",
                courses::enrol, courses::unenrol);

        routes.post("/api/courses/{id}/materials").access(Access.USER).tag("courses").consumes("multipart/form-data")
                .summary("Upload a course material (pdf, docx, txt, md) as part 'file', optionally with "
                        + "'lecture_id'; 201 with its status (indexed or failed) and passages")
                .errors(400, 403, 404, 413, 415)
                .request(CourseViews.MaterialUpload.class).returns(201, CourseViews.MaterialView.class)
                .tunnel(r -> new MultipartUploadHandler(r, materialLimits, blocking, this::receiveMaterial));
        routes.get("/api/courses/{id}/materials").access(Access.USER).blocking().tag("courses").errors(404)
                .summary("The course's materials").returns(200, CourseViews.Materials.class)
                .handle(r -> ok(new CourseViews.Materials(materials.list(r.requirePrincipal(), r.pathParam("id"))
                        .stream().map(CoursesApi::material).toList())));
        routes.delete("/api/courses/{id}/materials/{mid}").access(Access.USER).blocking().tag("courses")
                .errors(403, 404).summary("Delete a material and its passages").returns(204, Void.class).handle(r -> {
                    materials.delete(r.requirePrincipal(), r.pathParam("id"), r.pathParam("mid"));
                    return ApiResponse.noContent().async();
                });
    }

    private void registerLectures(Router.Builder routes) {
        routes.post("/api/courses/{id}/lectures").access(Access.USER).blocking().json().tag("lectures")
                .errors(400, 403, 404).summary("Add a lecture at the end of the course's order")
                .example(Map.of("title", "Limits", "date", "2026-10-05", "description", "ε and δ"))
                .request(CourseViews.LectureFields.class).returns(201, CourseViews.LectureView.class)
                .handle(r -> created(lecture(lectures.create(r.requirePrincipal(), r.pathParam("id"),
                        lectureFields(r)))));
        routes.get("/api/courses/{id}/lectures").access(Access.USER).blocking().tag("lectures").errors(404)
                .summary("The course's lectures in order").returns(200, CourseViews.Lectures.class)
                .handle(r -> ok(new CourseViews.Lectures(lectures.list(r.requirePrincipal(), r.pathParam("id"))
                        .stream().map(CoursesApi::lecture).toList())));
        routes.get("/api/lectures/{id}").access(Access.USER).blocking().tag("lectures").errors(404)
                .summary("One lecture with its transcript status and notes").returns(200, CourseViews.LectureView.class)
                .handle(r -> ok(lecture(lectures.get(r.requirePrincipal(), r.pathParam("id")))));
        routes.patch("/api/lectures/{id}").access(Access.USER).blocking().json().tag("lectures")
                .errors(400, 403, 404).summary("Change a lecture's title, date, description, or position")
                .request(CourseViews.LectureFields.class).returns(200, CourseViews.LectureView.class)
                .handle(r -> {
                    Principal p = r.requirePrincipal();
                    JsonNode b = r.jsonObject();
                    Lecture l = lectures.update(p, r.pathParam("id"), lectureFields(r));
                    if (b.has("position")) {
                        if (!b.get("position").isInt()) {
                            throw ServiceException.badRequest("position must be an integer");
                        }
                        lectures.move(p, l.id(), b.get("position").intValue());
                        l = lectures.get(p, l.id());
                    }
                    return ok(lecture(l));
                });
        routes.delete("/api/lectures/{id}").access(Access.USER).blocking().tag("lectures").errors(403, 404)
                .summary("Delete a lecture with its transcript and recording").returns(204, Void.class).handle(r -> {
                    lectures.delete(r.requirePrincipal(), r.pathParam("id"));
                    return ApiResponse.noContent().async();
                });
        routes.post("/api/lectures/{id}/recording").access(Access.USER).tag("lectures")
                .consumes("multipart/form-data")
                .summary("Upload the lecture's recording (audio or video) as part 'file': stored in the audio bucket "
                        + "and transcribed by a job (transcript_status queued → transcribing → transcribed), or "
                        + "not_transcribed with the reason when no transcription service is configured")
                .errors(400, 403, 404, 413, 415)
                .request(CourseViews.RecordingUpload.class).returns(201, CourseViews.LectureView.class)
                .tunnel(r -> new MultipartUploadHandler(r, recordingLimits, blocking, this::receiveRecording));
        routes.get("/api/lectures/{id}/recording").access(Access.USER).blocking().tag("lectures").errors(404)
                .summary("A signed, expiring URL of the recording").returns(200, CourseViews.SignedUrl.class)
                .handle(r -> ok(new CourseViews.SignedUrl(lectures.recordingUrl(r.requirePrincipal(),
                        r.pathParam("id"), urlTtl))));
        routes.get("/api/lectures/{id}/transcript").access(Access.USER).blocking().tag("lectures").errors(404)
                .summary("The transcript as {segments:[{seq,start_ms,end_ms,text,corrected}]}, or WebVTT with "
                        + "?format=vtt")
                .query("format", "string", false, "json (default) or vtt")
                .errors(400).returns(200, Types.either(CourseViews.Transcript.class, Types.media("text/vtt")))
                .handle(r -> {
                    String format = r.queryParam("format").orElse("json");
                    if (format.equals("vtt")) {
                        return ApiResponse.text(200, "text/vtt; charset=utf-8",
                                lectures.webVtt(r.requirePrincipal(), r.pathParam("id"))).async();
                    }
                    if (!format.equals("json")) {
                        throw ServiceException.badRequest("format: json or vtt");
                    }
                    return ok(new CourseViews.Transcript(lectures.transcript(r.requirePrincipal(),
                            r.pathParam("id")).stream().map(CoursesApi::segment).toList()));
                });
        routes.put("/api/lectures/{id}/transcript/{seq}").access(Access.USER).blocking().json().tag("lectures")
                .errors(400, 403, 404).summary("Correct one transcript segment's text (the course's lecturers)")
                .example(Map.of("text", "the corrected sentence"))
                .request(CourseViews.Correction.class).returns(200, CourseViews.Segment.class)
                .handle(r -> {
                    int seq;
                    try {
                        seq = Integer.parseInt(r.pathParam("seq"));
                    } catch (NumberFormatException e) {
                        throw ServiceException.notFound("no such segment");
                    }
                    return ok(segment(lectures.correct(r.requirePrincipal(), r.pathParam("id"), seq,
                            text(r, "text"))));
                });
        routes.post("/api/lectures/{id}/notes").access(Access.USER).blocking().tag("lectures")
                .errors(403, 404, 409, 503).summary("Queue the lecture's summary and key points (the model)")
                .returns(202, CourseViews.JobAccepted.class)
                .handle(r -> json(202, new CourseViews.JobAccepted(lectures.requestNotes(r.requirePrincipal(),
                        r.pathParam("id")))));
    }

    /** POST/DELETE {@code /api/courses/{id}/<what>[/{member}]}. */
    private void member(Router.Builder routes, String what, String field, Class<?> body, String description,
                        Membership add, Membership remove) {
        routes.post("/api/courses/{id}/" + what).access(Access.USER).blocking().json().tag("courses")
                .errors(400, 403, 404).summary("Add " + description).example(Map.of(field, "…"))
                .request(body).returns(204, Void.class)
                .handle(r -> {
                    add.apply(r.requirePrincipal(), r.pathParam("id"), text(r, field));
                    return ApiResponse.noContent().async();
                });
        routes.delete("/api/courses/{id}/" + what + "/{member}").access(Access.USER).blocking().tag("courses")
                .errors(403, 404, 409).summary("Remove " + description).returns(204, Void.class).handle(r -> {
                    remove.apply(r.requirePrincipal(), r.pathParam("id"), r.pathParam("member"));
                    return ApiResponse.noContent().async();
                });
    }

    @FunctionalInterface
    private interface Membership {
        void apply(Principal caller, String courseId, String memberId);
    }

    private CompletionStage<ApiResponse> receiveMaterial(ApiRequest r, MultipartForm form) {
        return receive(r, form, (file, p) -> material(materials.upload(p, r.pathParam("id"),
                form.field("lecture_id").orElse(null), file.filename(), file.file(), file.size())));
    }

    private CompletionStage<ApiResponse> receiveRecording(ApiRequest r, MultipartForm form) {
        return receive(r, form, (file, p) -> lecture(lectures.uploadRecording(p, r.pathParam("id"), file.filename(),
                file.file(), file.size())));
    }

    private CompletionStage<ApiResponse> receive(ApiRequest r, MultipartForm form,
                                                 BiFunction<MultipartForm.FilePart, Principal, Object> store) {
        Principal p = r.requirePrincipal();
        List<MultipartForm.FilePart> parts = form.files("file");
        if (parts.size() != 1) {
            throw ServiceException.badRequest("one part 'file' is required");
        }
        return CompletableFuture.supplyAsync(() -> ApiResponse.json(201, store.apply(parts.get(0), p)), blocking);
    }

    /** Finds the sources on the blocking executor, then streams the model's answer (or says there is none). */
    private CompletionStage<EventStream> ask(ApiRequest r, Executor eventLoop) {
        Principal p = r.requirePrincipal();
        String question = text(r, "question");
        String courseId = r.pathParam("id");
        return CompletableFuture.supplyAsync(() -> {
            CourseQuery.Prepared prepared = query.prepare(p, courseId, question);
            QueryEventStream stream = new QueryEventStream(prepared.sources());
            if (prepared.grounded()) {
                try {
                    stream.attach(query.model().stream(prepared.messages(), query.maxTokens(), stream));
                } catch (LlmException e) {
                    stream.fail(e.code(), e.getMessage());
                }
            }
            return stream;
        }, blocking);
    }

    // ---------------------------------------------------------------- views

    private static CourseService.CourseFields fields(ApiRequest r) {
        return new CourseService.CourseFields(text(r, "title"), text(r, "code"), text(r, "description"),
                text(r, "term"), text(r, "language"));
    }

    private static LectureService.LectureFields lectureFields(ApiRequest r) {
        return new LectureService.LectureFields(text(r, "title"), text(r, "date"), text(r, "description"));
    }

    private static String text(ApiRequest r, String field) {
        JsonNode v = r.jsonObject().get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ServiceException.badRequest(field + " must be a string");
        }
        return v.textValue();
    }

    static CourseViews.RegionView region(Region x) {
        return CourseViews.RegionView.of(x);
    }

    static CourseViews.GroupView group(Group g) {
        return CourseViews.GroupView.of(g);
    }

    static CourseViews.CourseView course(Course k) {
        return CourseViews.CourseView.of(k);
    }

    static CourseViews.MaterialView material(Material x) {
        return CourseViews.MaterialView.of(x);
    }

    static CourseViews.LectureView lecture(Lecture l) {
        return CourseViews.LectureView.of(l);
    }

    static CourseViews.Segment segment(TranscriptSegment s) {
        return CourseViews.Segment.of(s);
    }

    private static CompletionStage<ApiResponse> ok(Object body) {
        return ApiResponse.json(body).async();
    }

    private static CompletionStage<ApiResponse> created(Object body) {
        return ApiResponse.json(201, body).async();
    }

    private static CompletionStage<ApiResponse> json(int status, Object body) {
        return ApiResponse.json(status, body).async();
    }
}

package dev.lectern.http.api;

import dev.lectern.core.error.ServiceException;
import dev.lectern.files.UploadService;
import dev.lectern.files.UserFileRepository;
import dev.lectern.http.Access;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Paging;
import dev.lectern.http.Router;
import dev.lectern.http.multipart.MultipartForm;
import dev.lectern.http.multipart.MultipartLimits;
import dev.lectern.http.multipart.MultipartUploadHandler;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** Uploads for the tutor: {@code POST /api/chat/upload}, {@code GET /api/user_files}, {@code DELETE …/{id}}. */
public final class UserFilesApi {
    private final UploadService uploads;
    private final UserFileRepository files;
    private final MultipartLimits limits;
    private final Executor blocking;
    /** Users with an upload in progress on this node. */
    private final java.util.Set<String> active = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public UserFilesApi(UploadService uploads, UserFileRepository files, MultipartLimits limits, Executor blocking) {
        this.uploads = uploads;
        this.files = files;
        this.limits = limits;
        this.blocking = blocking;
    }

    public void register(Router.Builder routes) {
        routes.post("/api/chat/upload").access(Access.USER).tag("files").consumes("multipart/form-data")
                .summary("Upload a document (pdf, docx, txt, md), image (png, jpg) or audio (wav, mp3, m4a) as the"
                        + " multipart part 'file', optionally with 'session_id' (the chat to record it in); 201 with"
                        + " the file record, its status (indexed, failed, not_indexed) and error")
                .errors(400, 401, 404, 413, 415, 429, 503, 507)
                .tunnel(r -> new MultipartUploadHandler(r, limits, blocking, this::receive, this::admit));
        routes.get("/api/user_files").access(Access.USER).blocking().tag("files")
                .summary("The caller's uploads, newest first: id, filename, file_type, file_path, created_at,"
                        + " session_id, size, status, error, passages")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .handle(this::list);
        routes.delete("/api/user_files/{id}").access(Access.USER).blocking().tag("files").errors(404)
                .summary("Delete one of the caller's uploads: the stored object and its index entries")
                .handle(this::delete);
    }

    /**
     * Before anything is spooled: one upload at a time per user (on this node), and the quota and disk floor checked
     * against the request's Content-Length. Completes with what releases the user's slot.
     */
    private CompletionStage<Runnable> admit(ApiRequest r, long contentLength) {
        String user = r.requirePrincipal().userId();
        if (!active.add(user)) {
            return CompletableFuture.failedFuture(new ServiceException(429, "upload_in_progress",
                    "another upload of yours is still in progress; wait for it to finish"));
        }
        Runnable release = () -> active.remove(user);
        try {
            return CompletableFuture.supplyAsync(() -> {
                uploads.checkQuota(user, contentLength);
                return release;
            }, blocking).whenComplete((ok, err) -> {
                if (err != null) {
                    release.run();
                }
            });
        } catch (RuntimeException e) {
            release.run();
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletionStage<ApiResponse> receive(ApiRequest r, MultipartForm form) {
        String user = r.requirePrincipal().userId();
        List<MultipartForm.FilePart> parts = form.files("file");
        if (parts.size() > 1) {
            throw ServiceException.badRequest("one file per upload");
        }
        UploadService.SpooledFile file = parts.isEmpty() ? null
                : new UploadService.SpooledFile(parts.get(0).filename(), parts.get(0).file(), parts.get(0).size());
        return CompletableFuture.supplyAsync(() -> ApiResponse.json(201,
                view(uploads.upload(user, form.field("session_id"), file))), blocking);
    }

    private CompletionStage<ApiResponse> list(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        Paging paging = Paging.of(r);
        List<Map<String, Object>> items = files.list(user, paging.offset(), paging.pageSize()).stream()
                .map(UserFilesApi::view).toList();
        return ApiResponse.json(paging.envelope("files", items, files.count(user))).async();
    }

    private CompletionStage<ApiResponse> delete(ApiRequest r) {
        if (!uploads.delete(r.requirePrincipal().userId(), r.pathId("id"))) {
            throw ServiceException.notFound("no such file");
        }
        return ApiResponse.noContent().async();
    }

    static Map<String, Object> view(UserFileRepository.UserFile f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", f.id());
        m.put("filename", f.filename());
        m.put("file_type", f.fileType());
        m.put("file_path", f.objectKey());
        m.put("created_at", Instant.ofEpochMilli(f.createdAt()).toString());
        m.put("session_id", f.sessionId() == null ? null : Long.valueOf(f.sessionId()));
        m.put("size", f.size());
        m.put("status", f.status());
        m.put("error", f.error());
        m.put("passages", f.passages());
        return m;
    }
}

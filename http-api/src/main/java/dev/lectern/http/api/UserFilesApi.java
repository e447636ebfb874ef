package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.store.ClusterLocks;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Uploads for the tutor, in the Virtual Tutor backend's shapes: {@code POST /api/chat/upload} (200 with {@code msg,
 * session_id, message_id, file_path, file_type, filename, rag_indexed}), {@code GET /api/user_files} ({@code {msg,
 * total, files}}, every file unless a page is asked for) and {@code DELETE /api/user_files/{id}}. Lectern's own
 * fields (id, extension, size, status, error, passages) stand beside the documented ones.
 */
public final class UserFilesApi {
    private final UploadService uploads;
    private final UserFileRepository files;
    private final MultipartLimits limits;
    private final Executor blocking;
    /** One upload at a time per user, across every node sharing the ephemeral store. */
    private final ClusterLocks locks;

    public UserFilesApi(UploadService uploads, UserFileRepository files, MultipartLimits limits, Executor blocking,
                        ClusterLocks locks) {
        this.uploads = uploads;
        this.files = files;
        this.limits = limits;
        this.blocking = blocking;
        this.locks = locks;
    }

    /** The answer to an upload: the seed's fields, then Lectern's. */
    public record UploadReply(
            String msg,
            @JsonProperty("session_id") long sessionId,
            @JsonProperty("message_id") long messageId,
            @JsonProperty("file_path") String filePath,
            @JsonProperty("file_type") String fileType,
            String filename,
            @JsonProperty("rag_indexed") boolean ragIndexed,
            long id,
            String extension,
            long size,
            String status,
            String error,
            int passages,
            @JsonProperty("created_at") String createdAt) {}

    /** One of the caller's files. */
    public record FileView(
            long id,
            String filename,
            @JsonProperty("file_type") String fileType,
            @JsonProperty("file_path") String filePath,
            String content,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("session_id") Long sessionId,
            long size,
            String extension,
            String status,
            String error,
            int passages) {}

    public record FilesReply(String msg, long total, List<FileView> files) {}

    public void register(Router.Builder routes) {
        routes.post("/api/chat/upload").access(Access.USER).tag("files").consumes("multipart/form-data")
                .summary("Upload a document (pdf, docx, txt, md), image (png, jpg) or audio (wav, mp3, m4a) as the"
                        + " multipart part 'file', optionally with 'session_id' (the chat to record it in; a new chat"
                        + " without it); 200 with the message recording it, file_type document/image/audio,"
                        + " rag_indexed, and the indexing status (indexed, failed, not_indexed) and error")
                .errors(400, 401, 404, 413, 415, 429, 503, 507)
                .returns(200, UploadReply.class)
                .tunnel(r -> new MultipartUploadHandler(r, limits, blocking, this::receive, this::admit));
        routes.get("/api/user_files").access(Access.USER).blocking().tag("files")
                .summary("The caller's uploads, newest first (all of them unless page or page_size is given;"
                        + " X-Total-Count and Link headers)")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .returns(200, FilesReply.class)
                .handle(this::list);
        routes.delete("/api/user_files/{id}").access(Access.USER).blocking().tag("files").errors(404)
                .summary("Delete one of the caller's uploads: the stored object and its index entries")
                .returns(200, ChatHistoryApi.Done.class)
                .handle(this::delete);
    }

    /**
     * Before anything is spooled: one upload at a time per user (on every node: a lock in the ephemeral store), and
     * the quota and disk floor checked against the request's Content-Length. Completes with what releases the lock.
     */
    private CompletionStage<Runnable> admit(ApiRequest r, long contentLength) {
        String user = r.requirePrincipal().userId();
        try {
            return locks.tryAcquire("upload:" + user, blocking).thenCompose(lease -> {
                if (lease.isEmpty()) {
                    return CompletableFuture.failedFuture(new ServiceException(429, "upload_in_progress",
                            "another upload of yours is still in progress; wait for it to finish"));
                }
                ClusterLocks.Lease held = lease.get();
                Runnable release = held::release; // never blocks: the event loop may call it
                try {
                    return CompletableFuture.supplyAsync(() -> {
                        uploads.checkQuota(user, contentLength);
                        return release;
                    }, blocking).whenComplete((ok, err) -> {
                        if (err != null) {
                            release.run();
                        }
                    });
                } catch (RuntimeException e) { // the blocking executor is full
                    release.run();
                    return CompletableFuture.failedFuture(e);
                }
            });
        } catch (RuntimeException e) { // the blocking executor is full
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
        return CompletableFuture.supplyAsync(() -> {
            UploadService.Uploaded u = uploads.upload(user, form.field("session_id"), file);
            UserFileRepository.UserFile f = u.file();
            return ApiResponse.json(new UploadReply("File uploaded successfully", u.sessionId(), u.messageId(),
                    f.objectKey(), UploadService.category(f.fileType()), f.filename(), "indexed".equals(f.status()),
                    f.id(), f.fileType(), f.size(), f.status(), f.error(), f.passages(),
                    Instant.ofEpochMilli(f.createdAt()).toString()));
        }, blocking);
    }

    private CompletionStage<ApiResponse> list(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        Paging paging = Paging.ifAsked(r);
        List<FileView> items = (paging == null ? files.list(user, 0, Integer.MAX_VALUE)
                : files.list(user, paging.offset(), paging.pageSize())).stream().map(UserFilesApi::view).toList();
        long total = paging == null ? items.size() : files.count(user);
        return Paging.withHeaders(ApiResponse.json(new FilesReply("Files retrieved successfully", total, items)), r,
                paging, total).async();
    }

    private CompletionStage<ApiResponse> delete(ApiRequest r) {
        long id = r.pathId("id");
        if (!uploads.delete(r.requirePrincipal().userId(), id)) {
            throw ServiceException.notFound("no such file");
        }
        return ApiResponse.json(new ChatHistoryApi.Done("File " + id + " deleted")).async();
    }

    static FileView view(UserFileRepository.UserFile f) {
        String category = UploadService.category(f.fileType());
        return new FileView(f.id(), f.filename(), category, f.objectKey(),
                UploadService.uploadedContent(category, f.filename()), Instant.ofEpochMilli(f.createdAt()).toString(),
                f.sessionId() == null ? null : Long.valueOf(f.sessionId()), f.size(), f.fileType(), f.status(),
                f.error(), f.passages());
    }
}

package dev.lectern.files;

import dev.lectern.core.objects.ObjectStore;
import dev.lectern.ai.retrieval.FileKind;
import dev.lectern.ai.retrieval.FileNames;
import dev.lectern.ai.retrieval.RetrievalService;
import dev.lectern.history.ChatRepository;
import dev.lectern.core.error.ServiceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts a user's upload once it is spooled: sanitises the name, requires the content to agree with the extension,
 * stores it in the object store under a generated key, records it (and, with a chat, a message in that chat) and
 * indexes it for retrieval; the record of its outcome is what every node's index follows. Deleting removes the
 * record, the passages on every node and the object. Blocking: call from the
 * blocking executor.
 */
public final class UploadService {
    private static final Logger logger = LoggerFactory.getLogger(UploadService.class);
    public static final String ACCEPTED = "pdf, docx, txt, md, png, jpg, jpeg, wav, mp3, m4a";

    /** An uploaded file already spooled to disk: its name as the client sent it (unsanitised!), its bytes, its size. */
    public record SpooledFile(String filename, Path file, long size) {}

    private final UserFileRepository files;
    private final ChatRepository chats;
    private final ObjectStore objects;
    private final RetrievalService retrieval;
    private final Quota quota;

    /** Per-user limits and the disk floor of the spool directory {@code spool}. */
    public record Quota(long maxBytesPerUser, int maxFilesPerUser, long minFreeDiskBytes, Path spool) {
        public static final Quota NONE = new Quota(Long.MAX_VALUE, Integer.MAX_VALUE, 0, null);
    }

    public UploadService(UserFileRepository files, ChatRepository chats, ObjectStore objects,
                         RetrievalService retrieval) {
        this(files, chats, objects, retrieval, Quota.NONE);
    }

    public UploadService(UserFileRepository files, ChatRepository chats, ObjectStore objects,
                         RetrievalService retrieval, Quota quota) {
        this.files = files;
        this.chats = chats;
        this.objects = objects;
        this.retrieval = retrieval;
        this.quota = quota;
    }

    /**
     * Refuses an upload of {@code bytes} (a request's Content-Length before spooling, the file's size after) that
     * would take the user over their quota (413 quota_exceeded), or arrives while the disk is nearly full (507).
     */
    public void checkQuota(String userId, long bytes) {
        if (quota.spool() != null && quota.minFreeDiskBytes() > 0) {
            long free;
            try {
                Files.createDirectories(quota.spool());
                free = Files.getFileStore(quota.spool()).getUsableSpace();
            } catch (IOException e) {
                throw new ServiceException(507, "insufficient_storage", "the server cannot store uploads now");
            }
            if (free < quota.minFreeDiskBytes()) {
                logger.warn("upload refused: {} bytes free under {} (floor {})", free, quota.spool(),
                        quota.minFreeDiskBytes());
                throw new ServiceException(507, "insufficient_storage", "the server is low on disk; try again later");
            }
        }
        if (quota.maxFilesPerUser() != Integer.MAX_VALUE && files.count(userId) >= quota.maxFilesPerUser()) {
            throw new ServiceException(413, "quota_exceeded", "you have " + quota.maxFilesPerUser()
                    + " files, the most allowed; delete some first");
        }
        if (quota.maxBytesPerUser() != Long.MAX_VALUE
                && files.totalBytes(userId) + Math.max(0, bytes) > quota.maxBytesPerUser()) {
            throw new ServiceException(413, "quota_exceeded", "this upload would take your files over "
                    + quota.maxBytesPerUser() + " bytes; delete some first");
        }
    }

    /** Deletes spooled files a previous process left behind (a crash mid-upload). */
    public static void sweepSpool(Path spoolDir) {
        if (!Files.isDirectory(spoolDir)) {
            return;
        }
        try (Stream<Path> stale = Files.list(spoolDir)) {
            stale.filter(Files::isRegularFile).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    logger.warn("cannot delete stale upload {}", p);
                }
            });
        } catch (IOException e) {
            logger.warn("cannot sweep the upload spool {}: {}", spoolDir, e.toString());
        }
    }

    /**
     * A stored upload and the chat message that records it: in the chat the client named, or in a new chat titled
     * after the file when it named none (as the Virtual Tutor backend did, so every upload has a session and a message).
     */
    public record Uploaded(UserFileRepository.UserFile file, long sessionId, long messageId) {}

    /** What a message recording an upload says, e.g. {@code Uploaded document: notes.pdf}. */
    public static String uploadedContent(String category, String filename) {
        return "Uploaded " + category + ": " + filename;
    }

    /** {@code document}, {@code image} or {@code audio}: the category of a stored file type (its extension). */
    public static String category(String extension) {
        return FileKind.fromName("x." + extension).map(k -> k.category().name().toLowerCase(java.util.Locale.ROOT))
                .orElse("document");
    }

    public Uploaded upload(String userId, Optional<String> sessionField, SpooledFile part) {
        if (part == null) {
            throw ServiceException.badRequest("a file part named 'file' is required");
        }
        String name = FileNames.sanitize(part.filename());
        FileKind kind = FileKind.fromName(name).orElseThrow(() -> new ServiceException(415, "unsupported_media_type",
                "unsupported file type; accepted: " + ACCEPTED));
        if (part.size() == 0) {
            throw ServiceException.badRequest("the file is empty");
        }
        checkQuota(userId, part.size()); // again with the real size: Content-Length may be absent (chunked)
        if (!kind.matches(part.file())) {
            throw new ServiceException(415, "unsupported_media_type",
                    "the content of the file is not " + kind.extension().toUpperCase(java.util.Locale.ROOT));
        }
        Long sessionId = sessionField.filter(s -> !s.isBlank()).map(UploadService::sessionId).orElse(null);
        if (sessionId != null && chats.find(userId, sessionId).isEmpty()) {
            throw ServiceException.notFound("no such chat");
        }
        String category = kind.category().name().toLowerCase(java.util.Locale.ROOT);
        String content = uploadedContent(category, name);
        if (sessionId == null) {
            sessionId = chats.create(userId, content.length() > 200 ? content.substring(0, 200) : content, null).id();
        }
        String key = ObjectStore.UPLOADS + "/" + UUID.randomUUID() + "." + kind.extension();
        objects.put(key, part.file());
        UserFileRepository.UserFile f;
        try {
            f = files.insert(userId, name, kind.extension(), key, part.size(), sessionId.toString());
        } catch (RuntimeException e) {
            objects.delete(key);
            throw e;
        }
        RetrievalService.Outcome o;
        long[] version = {0};
        try {
            o = retrieval.indexFile(userId, Long.toString(f.id()), name, kind, part.file(), outcome -> version[0] =
                    files.setStatus(userId, f.id(), outcome.status(), outcome.error(), outcome.passages()));
        } catch (RuntimeException e) {
            logger.warn("indexing upload {} failed", f.id(), e);
            o = new RetrievalService.Outcome(RetrievalService.Outcome.FAILED, 0, "indexing failed; try again later");
            version[0] = files.setStatus(userId, f.id(), o.status(), o.error(), o.passages());
        }
        long messageId = chats.appendChecked(sessionId, "user", content, "complete", category, key).id();
        return new Uploaded(new UserFileRepository.UserFile(f.id(), userId, name, f.fileType(), key, f.size(),
                f.sessionId(), o.status(), o.error(), o.passages(), f.createdAt(), version[0]), sessionId, messageId);
    }

    /**
     * Removes the file's record (which takes it out of every node's index before their next search), its passages on
     * every node, and its object; false when the user has no such file.
     */
    public boolean delete(String userId, long id) {
        Optional<UserFileRepository.UserFile> f = files.find(userId, id);
        if (f.isEmpty() || !files.delete(userId, id)) {
            return false;
        }
        try {
            retrieval.deleteFile(userId, Long.toString(id));
        } finally {
            objects.delete(f.get().objectKey()); // the record is gone: no node fetches the object again
        }
        return true;
    }

    private static long sessionId(String raw) {
        try {
            long id = Long.parseLong(raw.strip());
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw ServiceException.badRequest("session_id must be a positive integer");
    }
}

package dev.lectern.http.api;

import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code GET /api/objects/{bucket}/{name}?expires=…&sig=…}: serves a local object to whoever holds a valid, unexpired
 * signed URL (the signature is the authorisation). Unsafe names are a 404, a wrong signature a 403, an expired link a
 * 410. Byte ranges (206, 416, If-Range) let a browser seek in a video.
 */
public final class ObjectsApi {
    public static final String PREFIX = "/api/objects/";
    static final long MAX_RANGE_BYTES = 8L << 20;
    static final long MAX_WHOLE_BYTES = 64L << 20;

    private final LocalObjectStore store;
    private final Clock clock;

    public ObjectsApi(LocalObjectStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public void register(Router.Builder routes) {
        routes.get(PREFIX + "{bucket}/{name}").tag("objects").blocking()
                .summary("An object (e.g. a sentence's TTS audio) through its signed, expiring URL")
                .query("expires", "integer", true, "unix seconds after which the link is dead")
                .query("sig", "string", true, "base64url HMAC-SHA256 of bucket/name and expires")
                .errors(403, 404, 410, 416)
                .handle(this::get);
    }

    private CompletionStage<ApiResponse> get(ApiRequest r) {
        String bucket = r.pathParam("bucket");
        String name = r.pathParam("name");
        if (!ObjectStore.isPart(bucket) || !ObjectStore.isPart(name)) {
            throw ServiceException.notFound("no such object");
        }
        String key = bucket + "/" + name;
        UrlSigner.Verdict v = store.signer().verify(key, r.queryParam("expires").orElse(null),
                r.queryParam("sig").orElse(null), clock.instant().getEpochSecond());
        if (v == UrlSigner.Verdict.BAD_SIGNATURE) {
            throw ServiceException.forbidden("invalid object link");
        }
        if (v == UrlSigner.Verdict.EXPIRED) {
            throw new ServiceException(410, "gone", "this object link has expired");
        }
        return serve(r, key);
    }

    /**
     * The object, or the one byte range the request asks for (206 with Content-Range; 416 when it starts past the
     * end). {@code If-Range} with a validator that no longer matches gets the whole object. Memory stays bounded: a
     * range is answered with at most {@link #MAX_RANGE_BYTES} (a browser asks again from where it stopped), and
     * an object larger than {@link #MAX_WHOLE_BYTES} is served only in ranges.
     */
    private CompletionStage<ApiResponse> serve(ApiRequest r, String key) {
        Path file = store.path(key);
        long size;
        long modifiedMillis;
        try {
            size = Files.size(file);
            modifiedMillis = Files.getLastModifiedTime(file).toMillis();
        } catch (NoSuchFileException e) {
            throw ServiceException.notFound("no such object");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read object " + key, e);
        }
        String etag = "\"" + Long.toHexString(size) + "-" + Long.toHexString(modifiedMillis) + "\"";
        String lastModified = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                Instant.ofEpochMilli(modifiedMillis).atZone(ZoneOffset.UTC));
        ByteRange range = ByteRange.parse(r.headers().get("range"), size);
        if (range != null && !ifRangeMatches(r.headers().get("if-range"), etag, modifiedMillis)) {
            range = null;
        }
        if (range == ByteRange.UNSATISFIABLE) {
            throw new ServiceException(416, "range_not_satisfiable", "the range starts beyond the object's "
                    + size + " bytes", Map.of("Content-Range", "bytes */" + size, "Accept-Ranges", "bytes"));
        }
        long from = 0;
        long length = size;
        int status = 200;
        if (range != null) {
            from = range.first();
            length = Math.min(range.last() - range.first() + 1, MAX_RANGE_BYTES);
            status = 206;
        } else if (size > MAX_WHOLE_BYTES) {
            throw new ServiceException(413, "object_too_large", "this object is served in byte ranges only "
                    + "(send a Range header)", Map.of("Accept-Ranges", "bytes"));
        }
        byte[] bytes = new byte[(int) length];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) >= 0) {
                // a short read continues where it stopped
            }
        } catch (NoSuchFileException e) {
            throw ServiceException.notFound("no such object");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read object " + key, e);
        }
        ApiResponse response = ApiResponse.bytes(status, ObjectStore.contentType(key), bytes)
                .withHeader("Cache-Control", "private, max-age=300")
                .withHeader("X-Content-Type-Options", "nosniff")
                .withHeader("Accept-Ranges", "bytes")
                .withHeader("ETag", etag)
                .withHeader("Last-Modified", lastModified);
        if (status == 206) {
            response = response.withHeader("Content-Range", "bytes " + from + "-" + (from + length - 1) + "/" + size);
        }
        return response.async();
    }

    /** No If-Range, or one naming the current entity tag (strong) or modification date: the range applies. */
    private static boolean ifRangeMatches(String ifRange, String etag, long modifiedMillis) {
        if (ifRange == null || ifRange.isBlank()) {
            return true;
        }
        String v = ifRange.strip();
        if (v.startsWith("\"") || v.startsWith("W/")) {
            return v.equals(etag);
        }
        try {
            long date = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
            return date / 1000 == modifiedMillis / 1000;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** One byte range of an object of known size, inclusive; {@link #UNSATISFIABLE} when it starts past the end. */
    record ByteRange(long first, long last) {
        static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

        /**
         * {@code bytes=a-b}, {@code bytes=a-} or {@code bytes=-n}; null (serve the whole object, as RFC 9110 allows)
         * for no header, another unit, several ranges or bad syntax.
         */
        static ByteRange parse(String header, long size) {
            if (header == null) {
                return null;
            }
            String h = header.strip();
            if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.indexOf(',') >= 0) {
                return null;
            }
            String spec = h.substring(6).strip();
            int dash = spec.indexOf('-');
            if (dash < 0) {
                return null;
            }
            String a = spec.substring(0, dash).strip();
            String b = spec.substring(dash + 1).strip();
            try {
                if (a.isEmpty()) {
                    long suffix = Long.parseLong(b);
                    if (suffix <= 0 || b.startsWith("+")) {
                        return suffix == 0 ? UNSATISFIABLE : null;
                    }
                    return size == 0 ? UNSATISFIABLE : new ByteRange(Math.max(0, size - suffix), size - 1);
                }
                long first = Long.parseLong(a);
                long last = b.isEmpty() ? size - 1 : Long.parseLong(b);
                if (first < 0 || a.startsWith("+") || b.startsWith("+") || (!b.isEmpty() && last < first)) {
                    return null;
                }
                if (first >= size) {
                    return UNSATISFIABLE;
                }
                return new ByteRange(first, Math.min(last, size - 1));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }
}

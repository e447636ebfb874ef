package dev.lectern.http.api;

import dev.lectern.core.error.ServiceException;
import dev.lectern.core.objects.LiveObjects;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.Router;
import dev.lectern.http.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Executor;

/**
 * {@code GET /api/objects/{bucket}/{name}?expires=…&sig=…}: serves an object to whoever holds a valid, unexpired
 * signed URL (the signature is the authorisation). An object still being written ({@link LiveObjects}: a sentence's
 * speech while it is synthesised) streams as it grows, chunked; a stored local object goes out with Content-Length and
 * answers a byte Range (206, 416, If-Range: a browser seeks in a video); an object stored elsewhere (S3) is a redirect to its presigned URL. A live object's link asked of another node
 * of the cluster waits there until the object is stored (at most the TTS timeout). Unsafe names are a 404, a
 * wrong signature a 403, an expired link a 410. The bytes are read from disk on {@code blocking}, a piece at a time
 * and only while the client keeps up ({@link ObjectStreamHandler}).
 */
public final class ObjectsApi {
    public static final String PREFIX = "/api/objects/";
    private static final Duration REDIRECT_TTL = Duration.ofMinutes(5);

    private final LocalObjectStore local;
    private final ObjectStore store;
    private final LiveObjects live;
    private final Executor blocking;
    private final Clock clock;

    public ObjectsApi(LocalObjectStore local, ObjectStore store, LiveObjects live, Executor blocking, Clock clock) {
        this.local = local;
        this.store = store;
        this.live = live;
        this.blocking = blocking;
        this.clock = clock;
    }

    public void register(Router.Builder routes) {
        routes.get(PREFIX + "{bucket}/{name}").tag("objects")
                .summary("An object (e.g. a sentence's TTS audio, streamed while it is synthesised) through its "
                        + "signed, expiring URL")
                .query("expires", "integer", true, "unix seconds after which the link is dead")
                .query("sig", "string", true, "base64url HMAC-SHA256 of bucket/name and expires")
                .errors(302, 403, 404, 410, 416)
                .returns(200, Types.media("*/*")).returns(206, Types.media("*/*"))
                .tunnel(this::open);
    }

    /** Checks the link (cheap: an HMAC), then hands the connection to a handler that finds and sends the bytes. */
    private ObjectStreamHandler open(ApiRequest r) {
        String bucket = r.pathParam("bucket");
        String name = r.pathParam("name");
        if (!ObjectStore.isPart(bucket) || !ObjectStore.isPart(name)) {
            throw ServiceException.notFound("no such object");
        }
        String key = bucket + "/" + name;
        UrlSigner.Verdict v = local.signer().verify(key, r.queryParam("expires").orElse(null),
                r.queryParam("sig").orElse(null), clock.instant().getEpochSecond());
        if (v == UrlSigner.Verdict.BAD_SIGNATURE) {
            throw ServiceException.forbidden("invalid object link");
        }
        if (v == UrlSigner.Verdict.EXPIRED) {
            throw new ServiceException(410, "gone", "this object link has expired");
        }
        String redirect = store == local ? null : store.signedUrl(key, REDIRECT_TTL);
        if (live != null && !live.elsewhereWait().isZero() && r.queryParam(LiveObjects.LIVE_PARAM).isPresent()) {
            // a live object's link: if it grows on another node, wait for it to be stored (bounded)
            return new ObjectStreamHandler(r, key, live, local, redirect, blocking, store,
                    System.nanoTime() + live.elsewhereWait().toNanos());
        }
        return new ObjectStreamHandler(r, key, live, local, redirect, blocking);
    }

    /** No If-Range, or one naming the current entity tag (strong) or modification date: the range applies. */
    static boolean ifRangeMatches(String ifRange, String etag, long modifiedMillis) {
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

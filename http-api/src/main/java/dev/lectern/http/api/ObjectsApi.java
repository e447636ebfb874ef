package dev.lectern.http.api;

import dev.lectern.core.error.ServiceException;
import dev.lectern.core.objects.LiveObjects;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.Router;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * {@code GET /api/objects/{bucket}/{name}?expires=…&sig=…}: serves an object to whoever holds a valid, unexpired
 * signed URL (the signature is the authorisation). An object still being written ({@link LiveObjects}: a sentence's
 * speech while it is synthesised) streams as it grows, chunked; a stored local object goes out with Content-Length and
 * answers a byte Range; an object stored elsewhere (S3) is a redirect to its presigned URL. Unsafe names are a 404, a
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
        return new ObjectStreamHandler(r, key, live, local, redirect, blocking);
    }
}

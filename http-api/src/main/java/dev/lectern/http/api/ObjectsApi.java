package dev.lectern.http.api;

import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import java.time.Clock;
import java.util.concurrent.CompletionStage;

/**
 * {@code GET /api/objects/{bucket}/{name}?expires=…&sig=…}: serves a local object to whoever holds a valid, unexpired
 * signed URL (the signature is the authorisation). Unsafe names are a 404, a wrong signature a 403, an expired link a
 * 410.
 */
public final class ObjectsApi {
    public static final String PREFIX = "/api/objects/";

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
                .errors(403, 404, 410)
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
        byte[] bytes = store.get(key).orElseThrow(() -> ServiceException.notFound("no such object"));
        return ApiResponse.bytes(200, ObjectStore.contentType(key), bytes)
                .withHeader("Cache-Control", "private, max-age=300")
                .withHeader("X-Content-Type-Options", "nosniff")
                .async();
    }
}

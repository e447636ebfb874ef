package dev.lectern.http.api;

import dev.lectern.core.config.StorageConfig;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import dev.lectern.http.Types;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The web console: {@code GET /} and a fixed list of files under {@code /console/}, read once from the classpath
 * ({@code console/*}). There is no file-system lookup and no directory listing: a path that is not on the list is a
 * 404 from the router, dot segments never reach a route, and only GET and HEAD exist (anything else is a 405).
 * Responses carry an ETag (revalidated with {@code If-None-Match} → 304), {@code Cache-Control: no-cache}, a strict
 * Content-Security-Policy (no inline script, same-origin connections only) and {@code nosniff}.
 */
public final class ConsoleApi {
    /** The files served: URL path, classpath resource, content type. */
    static final List<Asset> FILES = List.of(
            new Asset("/", "console/index.html", "text/html; charset=utf-8"),
            new Asset("/console/app.js", "console/app.js", "text/javascript; charset=utf-8"),
            new Asset("/console/projects.js", "console/projects.js", "text/javascript; charset=utf-8"),
            new Asset("/console/style.css", "console/style.css", "text/css; charset=utf-8"),
            new Asset("/console/icon.svg", "console/icon.svg", "image/svg+xml"),
            new Asset("/console/exams.js", "console/exams.js", "text/javascript; charset=utf-8"),
            new Asset("/console/exams.css", "console/exams.css", "text/css; charset=utf-8"),
            new Asset("/console/courses.js", "console/courses.js", "text/javascript; charset=utf-8"),
            new Asset("/console/courses.css", "console/courses.css", "text/css; charset=utf-8"));

    record Asset(String path, String resource, String contentType) {}

    private record Loaded(Asset asset, byte[] body, String etag) {}

    private final List<Loaded> files;
    private final String contentSecurityPolicy;

    /**
     * @param s3 where signed audio and video links point when objects live in S3 (its origin joins {@code media-src},
     *           and {@code img-src} for a video's poster)
     */
    public ConsoleApi(StorageConfig.S3 s3) {
        List<Loaded> loaded = new ArrayList<>();
        for (Asset a : FILES) {
            byte[] body = read(a.resource());
            loaded.add(new Loaded(a, body, etag(body)));
        }
        this.files = List.copyOf(loaded);
        this.contentSecurityPolicy = contentSecurityPolicy(mediaSources(s3));
    }

    public void register(Router.Builder routes) {
        for (Loaded f : files) {
            routes.get(f.asset().path()).tag("system")
                    .summary(f.asset().path().equals("/") ? "The web console (sign in, tutor chat, video rooms, avatar, projects)"
                            : "A static file of the web console")
                    .returns(200, Types.media(f.asset().contentType().split(";")[0].strip())).returns(304, Void.class)
                    .handle(r -> serve(f, r).async());
        }
    }

    private ApiResponse serve(Loaded f, ApiRequest r) {
        String ifNoneMatch = r.header("if-none-match");
        ApiResponse resp = ifNoneMatch != null && matches(ifNoneMatch, f.etag())
                ? ApiResponse.bytes(304, null, null)
                : ApiResponse.bytes(200, f.asset().contentType(), f.body());
        return resp.withHeader("ETag", f.etag())
                .withHeader("Cache-Control", "no-cache")
                .withHeader("Content-Security-Policy", contentSecurityPolicy)
                .withHeader("X-Content-Type-Options", "nosniff")
                .withHeader("Referrer-Policy", "no-referrer")
                .withHeader("X-Frame-Options", "DENY")
                .withHeader("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()");
    }

    /** {@code If-None-Match}: a list of (possibly weak) tags, or {@code *}. */
    static boolean matches(String ifNoneMatch, String etag) {
        for (String t : ifNoneMatch.split(",")) {
            String tag = t.strip();
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals("*") || tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /** {@code extraMediaSources} also serve images: a lesson video's poster is signed where its video is. */
    static String contentSecurityPolicy(String extraMediaSources) {
        String extra = extraMediaSources.isEmpty() ? "" : " " + extraMediaSources;
        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:" + extra
                + "; connect-src 'self'; media-src 'self' blob:" + extra
                + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    /** The origins signed S3 links use: the endpoint (and its bucket sub-domains), or AWS itself. */
    static String mediaSources(StorageConfig.S3 s3) {
        if (s3 == null || s3.bucket().isEmpty()) {
            return "";
        }
        if (s3.endpoint().isEmpty()) {
            return "https://*.amazonaws.com";
        }
        URI u = URI.create(s3.endpoint());
        String origin = u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
        return s3.pathStyle() ? origin
                : origin + " " + u.getScheme() + "://*." + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
    }

    private static byte[] read(String resource) {
        try (InputStream in = ConsoleApi.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

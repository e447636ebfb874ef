package dev.lectern.http.api;

import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import dev.lectern.http.Types;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /docs}: an interactive page that renders {@code /openapi.json} and can call each endpoint. Its one inline
 * script and style are allowed by their SHA-256 in the Content-Security-Policy, not by {@code 'unsafe-inline'}, and
 * no other site may frame it.
 */
public final class DocsApi {
    private final byte[] page;
    private final String contentSecurityPolicy;

    public DocsApi() {
        try (InputStream in = DocsApi.class.getResourceAsStream("/web/docs.html")) {
            if (in == null) {
                throw new IllegalStateException("web/docs.html missing from the build");
            }
            this.page = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String html = new String(page, java.nio.charset.StandardCharsets.UTF_8);
        this.contentSecurityPolicy = "default-src 'self'; style-src 'self'" + hashes(html, "style")
                + "; script-src 'self'" + hashes(html, "script")
                + "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";
    }

    /** {@code 'sha256-…'} of each inline {@code <tag>} block of the page (with a leading space each). */
    static String hashes(String html, String tag) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<" + tag + ">(.*?)</" + tag + ">",
                java.util.regex.Pattern.DOTALL).matcher(html);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            try {
                byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                        .digest(m.group(1).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                out.append(" 'sha256-").append(java.util.Base64.getEncoder().encodeToString(digest)).append('\'');
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return out.toString();
    }

    public void register(Router.Builder routes) {
        routes.get("/docs").tag("system").summary("Interactive API documentation rendered from /openapi.json")
                .returns(200, Types.media("text/html"))
                .handle(r -> ApiResponse.bytes(200, "text/html; charset=utf-8", page)
                        .withHeader("Content-Security-Policy", contentSecurityPolicy)
                        .withHeader("X-Content-Type-Options", "nosniff")
                        .async());
    }
}

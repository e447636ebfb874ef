package dev.lectern.http.api;

import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** {@code GET /docs}: an interactive page that renders {@code /openapi.json} and can call each endpoint. */
public final class DocsApi {
    private final byte[] page;

    public DocsApi() {
        try (InputStream in = DocsApi.class.getResourceAsStream("/web/docs.html")) {
            if (in == null) {
                throw new IllegalStateException("web/docs.html missing from the build");
            }
            this.page = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void register(Router.Builder routes) {
        routes.get("/docs").tag("system").summary("Interactive API documentation rendered from /openapi.json")
                .handle(r -> ApiResponse.bytes(200, "text/html; charset=utf-8", page)
                        .withHeader("Content-Security-Policy",
                                "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'")
                        .withHeader("X-Content-Type-Options", "nosniff")
                        .async());
    }
}

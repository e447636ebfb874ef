package dev.lectern.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RouterTest {
    private static final ApiHandler OK = r -> ApiResponse.noContent().async();

    private final Router router = Router.builder()
            .get("/api/rooms/{id}").handle(OK)
            .delete("/api/rooms/{id}").handle(OK)
            .get("/api/rooms/new").handle(OK)
            .post("/api/rooms").handle(OK)
            .get("/").handle(OK)
            .build();

    @Test
    void literalSegmentsWinOverParameters() {
        Router.Match m = router.match("GET", "/api/rooms/new");
        assertThat(m).isInstanceOf(Router.Found.class);
        assertThat(((Router.Found) m).pathParams()).isEmpty();
    }

    @Test
    void extractsParameters() {
        Router.Found f = (Router.Found) router.match("GET", "/api/rooms/42");
        assertThat(f.pathParams()).containsEntry("id", "42");
        assertThat(f.route().template()).isEqualTo("/api/rooms/{id}");
    }

    @Test
    void trailingSlashAndRoot() {
        assertThat(router.match("GET", "/api/rooms/42/")).isInstanceOf(Router.Found.class);
        assertThat(router.match("GET", "/")).isInstanceOf(Router.Found.class);
    }

    @Test
    void methodNotAllowedListsAllowedMethods() {
        Router.Match m = router.match("PUT", "/api/rooms/42");
        assertThat(m).isInstanceOf(Router.MethodNotAllowed.class);
        assertThat(((Router.MethodNotAllowed) m).allowed()).containsExactly("DELETE", "GET", "HEAD", "OPTIONS");
    }

    @Test
    void headIsServedByGet() {
        assertThat(router.match("HEAD", "/api/rooms/1")).isInstanceOf(Router.Found.class);
    }

    @Test
    void unknownAndTrickyPathsAreNotFound() {
        assertThat(router.match("GET", "/api/nothing")).isInstanceOf(Router.NotFound.class);
        assertThat(router.match("GET", "/api//rooms")).isInstanceOf(Router.NotFound.class);
        assertThat(router.match("GET", "/api/rooms/../rooms")).isInstanceOf(Router.NotFound.class);
        assertThat(router.match("GET", "relative")).isInstanceOf(Router.NotFound.class);
    }

    @Test
    void duplicateRoutesAreRejected() {
        assertThatThrownBy(() -> Router.builder().get("/a/{x}").handle(OK).get("/a/{y}").handle(OK).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("duplicate");
    }
}

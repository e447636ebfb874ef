package dev.lectern.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The REST edge's handlers together ({@link HttpEdgeInitializer}), requests in and responses out. */
class RouteDispatchHandlerTest {
    record Greeting(String name, int times) {
        Greeting {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must not be empty");
            }
        }
    }

    private final Router router = Router.builder()
            .post("/echo").json().handle(r -> {
                Greeting g = r.json(Greeting.class);
                return ApiResponse.json(Map.of("hello", g.name(), "times", g.times())).async();
            })
            .get("/private").access(Access.USER).handle(r ->
                    ApiResponse.json(Map.of("user", r.requirePrincipal().userId())).async())
            .get("/admin").access(Access.ADMIN).handle(r -> ApiResponse.noContent().async())
            .get("/boom").handle(r -> {
                throw new IllegalStateException("secret internals");
            })
            .get("/slow").blocking().handle(r -> ApiResponse.json(Map.of("thread", Thread.currentThread().getName())).async())
            .build();

    private final HttpApp app = TestApps.app(router, Map.of("LECTERN_HTTP__MAX_CONTENT_BYTES", "100",
            "LECTERN_HTTP__CORS__ALLOWED_ORIGINS", "https://app.example"));
    private final EmbeddedChannel ch = new EmbeddedChannel();

    RouteDispatchHandlerTest() {
        HttpEdgeInitializer.addTo(ch.pipeline(), app);
    }

    @AfterEach
    void finish() {
        assertThat(ch.finishAndReleaseAll()).isFalse();
        app.blocking().close();
    }

    private FullHttpResponse exchange(FullHttpRequest req) {
        ch.writeInbound(req);
        return awaitResponse();
    }

    private FullHttpResponse awaitResponse() {
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> {
            ch.runPendingTasks();
            return !ch.outboundMessages().isEmpty();
        });
        return ch.readOutbound();
    }

    private static FullHttpRequest post(String uri, String json) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri,
                Unpooled.copiedBuffer(json, UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        return r;
    }

    private static FullHttpRequest get(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    private static JsonNode json(FullHttpResponse r) throws Exception {
        try {
            return Json.MAPPER.readTree(r.content().toString(UTF_8));
        } finally {
            r.release();
        }
    }

    @Test
    void routesJsonBodiesToHandlers() throws Exception {
        FullHttpResponse r = exchange(post("/echo", "{\"name\":\"Ada\",\"times\":2}"));
        assertThat(r.status().code()).isEqualTo(200);
        assertThat(r.headers().get("X-Request-Id")).isNotBlank();
        assertThat(json(r).get("hello").asText()).isEqualTo("Ada");
    }

    @Test
    void keepsAValidClientRequestIdAndReplacesAHostileOne() throws Exception {
        FullHttpRequest req = get("/echo");
        req.headers().set("X-Request-Id", "abc-123");
        FullHttpResponse r = exchange(req);
        assertThat(r.headers().get("X-Request-Id")).isEqualTo("abc-123");
        assertThat(json(r).get("requestId").asText()).isEqualTo("abc-123");
        FullHttpRequest evil = get("/echo");
        evil.headers().set("X-Request-Id", "a\"b injected {}");
        FullHttpResponse r2 = exchange(evil);
        assertThat(r2.headers().get("X-Request-Id")).matches("[a-z0-9]{16}");
        r2.release();
    }

    @Test
    void truncatedJsonIs400() throws Exception {
        FullHttpResponse r = exchange(post("/echo", "{\"name\":\"Ada\""));
        assertThat(r.status().code()).isEqualTo(400);
        JsonNode body = json(r);
        assertThat(body.get("error").asText()).isEqualTo("bad_request");
        assertThat(body.get("message").asText()).startsWith("malformed JSON");
        assertThat(body.get("requestId").asText()).isNotBlank();
    }

    @Test
    void wrongTypesUnknownFieldsAndValidationAre400NamingTheField() throws Exception {
        assertThat(json(exchange(post("/echo", "{\"name\":\"Ada\",\"times\":\"two\"}"))).get("message").asText())
                .contains("times");
        assertThat(json(exchange(post("/echo", "{\"name\":\"Ada\",\"times\":1,\"x\":1}"))).get("message").asText())
                .contains("'x'");
        assertThat(json(exchange(post("/echo", "{\"name\":\" \",\"times\":1}"))).get("message").asText())
                .contains("name must not be empty");
        assertThat(json(exchange(post("/echo", "[1,2]"))).get("error").asText()).isEqualTo("bad_request");
    }

    @Test
    void oversizedBodyIs413AndCloses() throws Exception {
        FullHttpResponse r = exchange(post("/echo", "{\"name\":\"" + "x".repeat(200) + "\",\"times\":1}"));
        assertThat(r.status().code()).isEqualTo(413);
        assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(json(r).get("error").asText()).isEqualTo("payload_too_large");
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws Exception {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/echo");
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        ch.writeInbound(head, new DefaultHttpContent(Unpooled.copiedBuffer("x".repeat(60), UTF_8)),
                new DefaultHttpContent(Unpooled.copiedBuffer("x".repeat(60), UTF_8)), new DefaultLastHttpContent());
        FullHttpResponse r = awaitResponse();
        assertThat(r.status().code()).isEqualTo(413);
        r.release();
    }

    @Test
    void wrongContentTypeIs415() throws Exception {
        FullHttpRequest req = post("/echo", "{\"name\":\"Ada\",\"times\":1}");
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        FullHttpResponse r = exchange(req);
        assertThat(r.status().code()).isEqualTo(415);
        r.release();
    }

    @Test
    void unknownRouteIs404AndWrongMethodIs405WithAllow() throws Exception {
        FullHttpResponse r = exchange(get("/nowhere"));
        assertThat(r.status().code()).isEqualTo(404);
        assertThat(json(r).get("error").asText()).isEqualTo("not_found");
        FullHttpResponse r2 = exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.DELETE, "/echo"));
        assertThat(r2.status().code()).isEqualTo(405);
        assertThat(r2.headers().get("Allow")).isEqualTo("POST, OPTIONS");
        r2.release();
    }

    @Test
    void handlerFailureIs500WithoutInternals() throws Exception {
        FullHttpResponse r = exchange(get("/boom"));
        assertThat(r.status().code()).isEqualTo(500);
        String body = r.content().toString(UTF_8);
        r.release();
        assertThat(body).doesNotContain("secret internals").doesNotContain("Exception").contains("internal_error");
    }

    @Test
    void blockingRoutesRunOffTheEventLoop() throws Exception {
        FullHttpResponse r = exchange(get("/slow"));
        assertThat(json(r).get("thread").asText()).startsWith("lectern-blocking-");
    }

    @Test
    void protectedRoutesNeedAValidTokenAndRole() throws Exception {
        assertThat(exchange(get("/private"))).satisfies(r -> {
            assertThat(r.status().code()).isEqualTo(401);
            r.release();
        });
        FullHttpRequest forged = get("/private");
        forged.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer forged");
        assertThat(json(exchange(forged)).get("error").asText()).isEqualTo("unauthorized");
        FullHttpRequest ok = get("/private");
        ok.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + TestApps.TOKEN);
        assertThat(json(exchange(ok)).get("user").asText()).isEqualTo("u1");
        FullHttpRequest admin = get("/admin");
        admin.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + TestApps.TOKEN);
        FullHttpResponse r = exchange(admin);
        assertThat(r.status().code()).isEqualTo(403);
        r.release();
    }

    @Test
    void corsOnlyForListedOriginsAndPreflight() throws Exception {
        FullHttpRequest listed = get("/nowhere");
        listed.headers().set(HttpHeaderNames.ORIGIN, "https://app.example");
        FullHttpResponse r = exchange(listed);
        assertThat(r.headers().get("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
        assertThat(r.headers().get("Access-Control-Allow-Credentials")).isEqualTo("true");
        r.release();

        FullHttpRequest other = get("/nowhere");
        other.headers().set(HttpHeaderNames.ORIGIN, "https://evil.example");
        FullHttpResponse r2 = exchange(other);
        assertThat(r2.headers().contains("Access-Control-Allow-Origin")).isFalse();
        r2.release();

        FullHttpRequest pre = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS, "/echo");
        pre.headers().set(HttpHeaderNames.ORIGIN, "https://app.example");
        pre.headers().set(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD, "POST");
        FullHttpResponse r3 = exchange(pre);
        assertThat(r3.status().code()).isEqualTo(204);
        assertThat(r3.headers().get("Access-Control-Allow-Methods")).contains("POST");
        r3.release();

        FullHttpRequest badPre = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS, "/echo");
        badPre.headers().set(HttpHeaderNames.ORIGIN, "https://evil.example");
        badPre.headers().set(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD, "POST");
        FullHttpResponse r4 = exchange(badPre);
        assertThat(r4.status().code()).isEqualTo(403);
        r4.release();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        ch.writeInbound(post("/echo", "{\"name\":\"one\",\"times\":1}"), post("/echo", "{\"name\":\"two\",\"times\":2}"));
        FullHttpResponse first = awaitResponse();
        FullHttpResponse second = awaitResponse();
        assertThat(json(first).get("hello").asText()).isEqualTo("one");
        assertThat(json(second).get("hello").asText()).isEqualTo("two");
    }
}

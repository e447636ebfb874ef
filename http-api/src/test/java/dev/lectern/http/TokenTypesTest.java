package dev.lectern.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.AcceptedTokens;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenType;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.json.Json;
import dev.lectern.http.sse.EventStream;
import dev.lectern.http.sse.SseEvent;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Routes declare the kinds of token they take ({@code .tokens(…)}, the lecture seed's {@code require_token_types}):
 * {@link AuthDecorator} refuses a valid token of another kind on REST and SSE routes with a 403 naming it, ignores it
 * on a public route, and lets every kind through a route that declares nothing.
 */
class TokenTypesTest {
    /** Lectern's own token, an external ID token and an external access token, as the verifiers make them. */
    private static final Map<String, Principal> TOKENS = Map.of(
            "own", new Principal("1", Role.STUDENT, "jti-1"),
            "cognito-id", new Principal("2", Role.STUDENT, TokenType.tokenId("id", "sub-2")),
            "cognito-access", new Principal("3", Role.STUDENT, TokenType.tokenId("access", "jti-3")));
    private static final TokenVerifier VERIFIER = t -> TOKENS.containsKey(t)
            ? CompletableFuture.completedFuture(TOKENS.get(t))
            : CompletableFuture.failedFuture(new InvalidTokenException("invalid token"));
    /** The same principals, verified later (a remote look-up): the decorator's asynchronous path. */
    private static final TokenVerifier SLOW_VERIFIER = t -> CompletableFuture.supplyAsync(() -> t)
            .thenCompose(VERIFIER::verify);

    private static Router router() {
        return Router.builder()
                .get("/any").access(Access.USER).handle(TokenTypesTest::who)
                .get("/lectern").access(Access.USER).tokens(TokenType.LECTERN).handle(TokenTypesTest::who)
                .get("/cognito").access(Access.USER).tokens(AcceptedTokens.EXTERNAL).handle(TokenTypesTest::who)
                .get("/public").tokens(TokenType.OIDC_ACCESS).handle(TokenTypesTest::who)
                .get("/stream").access(Access.USER).tokens(TokenType.OIDC_ACCESS).sse(15_000,
                        (r, loop) -> CompletableFuture.completedFuture(new OneEvent(r.requirePrincipal().userId())))
                .build();
    }

    private static java.util.concurrent.CompletionStage<ApiResponse> who(ApiRequest r) {
        Principal p = r.principal();
        return ApiResponse.json(Map.of("user", p == null ? "anonymous" : p.userId())).async();
    }

    private final List<HttpApp> apps = new ArrayList<>();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void finish() {
        for (EmbeddedChannel ch : channels) {
            assertThat(ch.finishAndReleaseAll()).isFalse();
        }
        apps.forEach(a -> a.blocking().close());
    }

    private EmbeddedChannel channel(TokenVerifier verifier) {
        HttpApp app = new HttpApp(TestConfigs.defaults(Map.of()).http(), router(),
                List.of(new AuthDecorator(verifier)), new BlockingExecutor(2, 10), new SimpleMeterRegistry());
        apps.add(app);
        EmbeddedChannel ch = new EmbeddedChannel();
        HttpEdgeInitializer.addTo(ch.pipeline(), app);
        channels.add(ch);
        return ch;
    }

    /** Status and the JSON body (or the event-stream text) of one GET. */
    private record Reply(int status, String contentType, String body) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(body);
        }
    }

    private static Reply get(EmbeddedChannel ch, String uri, String token) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        if (token != null) {
            req.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        ch.writeInbound(req);
        HttpResponse head = null;
        StringBuilder body = new StringBuilder();
        boolean last = false;
        while (!last) {
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> {
                ch.runPendingTasks();
                return !ch.outboundMessages().isEmpty();
            });
            Object m = ch.readOutbound();
            try {
                if (m instanceof HttpResponse r) {
                    head = r;
                }
                if (m instanceof HttpContent c) {
                    body.append(c.content().toString(UTF_8));
                }
                last = m instanceof LastHttpContent;
            } finally {
                ReferenceCountUtil.release(m);
            }
        }
        return new Reply(head.status().code(), head.headers().get(HttpHeaderNames.CONTENT_TYPE), body.toString());
    }

    @Test
    void aRouteThatDeclaresNothingTakesEveryKind() throws Exception {
        for (TokenVerifier v : List.of(VERIFIER, SLOW_VERIFIER)) {
            EmbeddedChannel ch = channel(v);
            for (String token : TOKENS.keySet()) {
                Reply r = get(ch, "/any", token);
                assertThat(r.status()).as(token).isEqualTo(200);
                assertThat(r.json().get("user").asText()).isEqualTo(TOKENS.get(token).userId());
            }
        }
    }

    @Test
    void aValidTokenOfAnotherKindIs403NamingIt() throws Exception {
        for (TokenVerifier v : List.of(VERIFIER, SLOW_VERIFIER)) {
            EmbeddedChannel ch = channel(v);
            assertThat(get(ch, "/lectern", "own").status()).isEqualTo(200);
            Reply refused = get(ch, "/lectern", "cognito-access");
            assertThat(refused.status()).isEqualTo(403);
            JsonNode body = refused.json();
            assertThat(body.get("error").asText()).isEqualTo("token_type_refused");
            assertThat(body.get("message").asText())
                    .isEqualTo("a oidc_access token is not accepted here (accepted: lectern)");
            assertThat(body.get("msg").asText()).isEqualTo(body.get("message").asText());
            assertThat(get(ch, "/lectern", "cognito-id").json().get("message").asText())
                    .startsWith("a oidc_id token is not accepted here");

            assertThat(get(ch, "/cognito", "cognito-id").status()).isEqualTo(200);
            assertThat(get(ch, "/cognito", "cognito-access").status()).isEqualTo(200);
            Reply own = get(ch, "/cognito", "own");
            assertThat(own.status()).isEqualTo(403);
            assertThat(own.json().get("message").asText())
                    .isEqualTo("a lectern token is not accepted here (accepted: oidc_id, oidc_access)");
            // an invalid token is still a 401, whatever the route takes
            assertThat(get(ch, "/cognito", "forged").status()).isEqualTo(401);
        }
    }

    @Test
    void aPublicRouteIgnoresATokenOfAnotherKind() throws Exception {
        for (TokenVerifier v : List.of(VERIFIER, SLOW_VERIFIER)) {
            EmbeddedChannel ch = channel(v);
            assertThat(get(ch, "/public", "cognito-access").json().get("user").asText()).isEqualTo("3");
            assertThat(get(ch, "/public", "own").json().get("user").asText()).isEqualTo("anonymous");
            assertThat(get(ch, "/public", null).json().get("user").asText()).isEqualTo("anonymous");
        }
    }

    @Test
    void anSseRouteRefusesBeforeTheStreamStarts() throws Exception {
        EmbeddedChannel ch = channel(SLOW_VERIFIER);
        Reply refused = get(ch, "/stream", "cognito-id");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.contentType()).startsWith("application/json");
        assertThat(refused.json().get("message").asText())
                .isEqualTo("a oidc_id token is not accepted here (accepted: oidc_access)");
        Reply accepted = get(ch, "/stream", "cognito-access");
        assertThat(accepted.status()).isEqualTo(200);
        assertThat(accepted.contentType()).startsWith("text/event-stream");
        assertThat(accepted.body()).contains("data: {\"user\":\"3\"}");
    }

    @Test
    void theSeedsCognitoNameIsEitherExternalKind() {
        assertThat(TokenType.parse("cognito")).isEqualTo(AcceptedTokens.EXTERNAL);
        assertThat(TokenType.parse("lectern").types()).containsExactly(TokenType.LECTERN);
        assertThat(AcceptedTokens.union(List.of(TokenType.parse("lectern"), TokenType.parse("oidc_access")))
                .types()).containsExactly(TokenType.LECTERN, TokenType.OIDC_ACCESS);
        assertThat(TokenType.of(new Principal("dev", Role.STUDENT, null))).isEqualTo(TokenType.LECTERN);
    }

    /** One event naming the caller, then the end. */
    private static final class OneEvent implements EventStream {
        private final String user;
        private Subscriber subscriber;
        private boolean done;

        OneEvent(String user) {
            this.user = user;
        }

        @Override
        public void subscribe(Subscriber s) {
            subscriber = s;
        }

        @Override
        public void request(long n) {
            if (!done && n > 0) {
                done = true;
                subscriber.onEvent(SseEvent.of(Json.writeBytes(Map.of("user", user))));
                subscriber.onEnd();
            }
        }

        @Override
        public void cancel() {
            done = true;
        }
    }
}

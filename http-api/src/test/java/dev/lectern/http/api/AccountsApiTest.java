package dev.lectern.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.AcceptedTokens;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenType;
import dev.lectern.core.json.Json;
import dev.lectern.http.Route;
import dev.lectern.http.Router;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The account routes' declared types and the seed's token_status arithmetic, without a server. */
class AccountsApiTest {
    private static List<Route> routes() {
        Router.Builder b = Router.builder();
        new AccountsApi(null, null).register(b); // the handlers are not called here
        return b.build().routes();
    }

    @Test
    void everyAccountsRouteDeclaresItsBodiesAndLogoutTakesOnlyLecternsOwnTokens() {
        List<Route> routes = routes();
        assertThat(routes).hasSizeGreaterThanOrEqualTo(11);
        for (Route r : routes) {
            assertThat(r.responseTypes()).as(r.method() + " " + r.template()).isNotEmpty();
            if (r.consumes().contains("application/json")) {
                assertThat(r.requestType()).as(r.method() + " " + r.template()).isNotNull();
            }
        }
        assertThat(routes).filteredOn(r -> r.template().equals("/api/register")).singleElement()
                .satisfies(r -> assertThat(r.responseTypes()).containsOnlyKeys(201));
        assertThat(routes).filteredOn(r -> r.template().equals("/api/send_verification")).singleElement()
                .satisfies(r -> assertThat(r.responseTypes()).containsOnlyKeys(200));
        assertThat(routes).filteredOn(r -> r.template().equals("/api/logout")).singleElement()
                .satisfies(r -> assertThat(r.tokens()).isEqualTo(AcceptedTokens.of(TokenType.LECTERN)));
        assertThat(routes).filteredOn(r -> !r.template().equals("/api/logout"))
                .allSatisfy(r -> assertThat(r.tokens()).isEqualTo(AcceptedTokens.ANY));
    }

    @Test
    void theOpenApiDocumentSaysWhichTokensLogoutTakes() throws Exception {
        Router.Builder b = Router.builder();
        new AccountsApi(null, null).register(b);
        OpenApiApi openApi = new OpenApiApi("test");
        openApi.register(b);
        Router router = b.build();
        openApi.document(router);
        Router.Found found = (Router.Found) router.match("GET", "/openapi.json");
        dev.lectern.http.ApiResponse doc = found.route().handler().handle(null).toCompletableFuture().get();
        JsonNode paths = Json.MAPPER.readTree(doc.body()).get("paths");
        assertThat(paths.at("/~1api~1logout/post/x-token-types").toString()).isEqualTo("[\"lectern\"]");
        assertThat(paths.at("/~1api~1token_status/get").has("x-token-types")).isFalse();
    }

    @Test
    void tokenStatusHasTheSeedsFieldsBesideLecterns() throws Exception {
        Instant now = Instant.ofEpochSecond(1_000_000);
        Principal own = new Principal("42", Role.TUTOR, "jti");
        JsonNode status = Json.MAPPER.readTree(Json.writeBytes(AccountsApi.tokenStatus(own,
                now.plusSeconds(14_523), now)));
        assertThat(status.get("expires_in_seconds").isIntegralNumber()).isTrue();
        assertThat(status.get("expires_in_seconds").asLong()).isEqualTo(14_523);
        assertThat(status.get("expires_in_minutes").asDouble()).isEqualTo(242.05); // the seed's own example
        assertThat(status.get("expires_at").asLong()).isEqualTo(1_014_523);
        assertThat(status.get("user_id").asText()).isEqualTo("42");
        assertThat(status.get("role").asText()).isEqualTo("tutor");
        assertThat(status.get("valid").asBoolean()).isTrue();
        assertThat(status.get("token_type").asText()).isEqualTo("lectern");

        // an external token's expiry comes from the principal when the token cannot be read; none when neither says
        Principal external = new Principal("7", Role.STUDENT, TokenType.tokenId("access", "j"),
                now.plusSeconds(90).toEpochMilli());
        AccountsApi.TokenStatus ext = AccountsApi.tokenStatus(external, null, now);
        assertThat(ext.expiresInSeconds()).isEqualTo(90);
        assertThat(ext.expiresInMinutes()).isEqualTo(1.5);
        assertThat(ext.tokenType()).isEqualTo("oidc_access");
        assertThat(AccountsApi.tokenStatus(new Principal("7", Role.STUDENT, null), null, now).expiresInSeconds())
                .isNull();
        // an expiry in the past (clock skew) is zero, never negative
        assertThat(AccountsApi.tokenStatus(own, now.minusSeconds(5), now).expiresInSeconds()).isZero();
    }
}

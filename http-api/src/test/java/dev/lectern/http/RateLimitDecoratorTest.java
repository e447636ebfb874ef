package dev.lectern.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.testing.MutableClock;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.StoreUnavailableException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RateLimitDecoratorTest {
    /** 10 s into a minute window. */
    private final MutableClock clock = new MutableClock(1_700_000_040_000L + 10_000);
    private final InMemoryEphemeralStore store = new InMemoryEphemeralStore(clock::millis);
    private final Route api = route("misc");
    private final Route health = route("system");

    @AfterEach
    void close() {
        store.close();
    }

    private static Route route(String tag) {
        return new Route("GET", "/x", Access.PUBLIC, false, r -> ApiResponse.noContent().async(), null, List.of(), "",
                tag, List.of(), null, List.of());
    }

    private RateLimitDecorator limit(RateLimitDecorator.Scope scope, int perMinute) {
        return new RateLimitDecorator(store, Runnable::run, scope, perMinute, clock);
    }

    private static ApiRequest request(String address, Principal p) {
        return new ApiRequest("GET", "/x", Map.of(), Map.of(), Headers.EMPTY, null, address, "rid", p);
    }

    private static ApiResponse call(RateLimitDecorator d, Route route, ApiRequest r) throws Exception {
        try {
            return d.apply(r, route, route.handler()).toCompletableFuture().join();
        } catch (CompletionException e) {
            return ErrorMapper.toResponse(e, "rid");
        }
    }

    @Test
    void theRequestOverTheLimitGets429UntilTheWindowEnds() throws Exception {
        RateLimitDecorator d = limit(RateLimitDecorator.Scope.ADDRESS, 3);
        for (int i = 0; i < 3; i++) {
            assertThat(call(d, api, request("1.2.3.4", null)).status()).isEqualTo(204);
        }
        ApiResponse refused = call(d, api, request("1.2.3.4", null));
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.headers()).containsEntry("Retry-After", "50");
        assertThat(call(d, api, request("5.6.7.8", null)).status()).isEqualTo(204); // another address
        clock.advance(java.time.Duration.ofSeconds(50)); // the next window
        assertThat(call(d, api, request("1.2.3.4", null)).status()).isEqualTo(204);
    }

    @Test
    void systemRoutesAreNotCounted() throws Exception {
        RateLimitDecorator d = limit(RateLimitDecorator.Scope.ADDRESS, 1);
        for (int i = 0; i < 5; i++) {
            assertThat(call(d, health, request("1.2.3.4", null)).status()).isEqualTo(204);
        }
        assertThat(call(d, api, request("1.2.3.4", null)).status()).isEqualTo(204);
        assertThat(call(d, api, request("1.2.3.4", null)).status()).isEqualTo(429);
    }

    @Test
    void perUserCountsOnlySignedInCallersAcrossAddresses() throws Exception {
        RateLimitDecorator d = limit(RateLimitDecorator.Scope.USER, 2);
        Principal p = new Principal("9", Role.STUDENT, "j");
        assertThat(call(d, api, request("1.1.1.1", p)).status()).isEqualTo(204);
        assertThat(call(d, api, request("2.2.2.2", p)).status()).isEqualTo(204);
        assertThat(call(d, api, request("3.3.3.3", p)).status()).isEqualTo(429);
        for (int i = 0; i < 5; i++) {
            assertThat(call(d, api, request("1.1.1.1", null)).status()).isEqualTo(204); // anonymous: not counted here
        }
    }

    @Test
    void zeroMeansUnlimited() throws Exception {
        RateLimitDecorator unlimited = limit(RateLimitDecorator.Scope.ADDRESS, 0);
        for (int i = 0; i < 100; i++) {
            assertThat(call(unlimited, api, request("1.2.3.4", null)).status()).isEqualTo(204);
        }
        assertThat(store.exists("rl:address:1.2.3.4:" + clock.millis() / 60_000)).isFalse();
    }

    @Test
    void aStoreOutageIs503NotAPass() throws Exception {
        EphemeralStore down = org.mockito.Mockito.mock(EphemeralStore.class);
        org.mockito.Mockito.when(down.increment(org.mockito.ArgumentMatchers.anyString(),
                        org.mockito.ArgumentMatchers.anyLong(), org.mockito.ArgumentMatchers.any()))
                .thenThrow(new StoreUnavailableException("redis", "connection refused", null));
        RateLimitDecorator d = new RateLimitDecorator(down, Runnable::run, RateLimitDecorator.Scope.ADDRESS, 5,
                Clock.systemUTC());
        ApiResponse r = call(d, api, request("1.2.3.4", null));
        assertThat(r.status()).isEqualTo(503);
        assertThat(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8)).contains("store_unavailable");
    }
}

package dev.lectern.http;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.HttpConfig;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;

/** An {@link HttpApp} over a router built by the test, with the shipped HTTP config (tweaked where asked). */
final class TestApps {
    static final String TOKEN = "good-token";
    static final Principal STUDENT = new Principal("u1", Role.STUDENT, "j1");

    private TestApps() {}

    static HttpApp app(Router router, Map<String, String> overrides) {
        HttpConfig http = TestConfigs.defaults(overrides).http();
        return new HttpApp(http, router, List.of(new AuthDecorator(AuthDecorator.fixed(TOKEN, STUDENT))),
                new BlockingExecutor(2, 10), new SimpleMeterRegistry());
    }
}

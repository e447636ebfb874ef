package dev.lectern.http;

import java.util.concurrent.CompletionStage;

/**
 * Wraps every route's handler (Armeria's decorators): authentication, rate limits. Decorators run in registration
 * order, outermost first, and may answer without calling {@code next}.
 */
@FunctionalInterface
public interface HttpDecorator {
    CompletionStage<ApiResponse> apply(ApiRequest request, Route route, ApiHandler next) throws Exception;

    /**
     * Whether requests that match no route (404, 405, 501) go through this decorator too: a per-address limit
     * must count them, or a client may probe and spray without end.
     */
    default boolean coversUnmatched() {
        return false;
    }
}

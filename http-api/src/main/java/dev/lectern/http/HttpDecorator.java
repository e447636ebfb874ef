package dev.lectern.http;

import java.util.concurrent.CompletionStage;

/**
 * Wraps every route's handler (Armeria's decorators): authentication, rate limits. Decorators run in registration
 * order, outermost first, and may answer without calling {@code next}.
 */
@FunctionalInterface
public interface HttpDecorator {
    CompletionStage<ApiResponse> apply(ApiRequest request, Route route, ApiHandler next) throws Exception;
}

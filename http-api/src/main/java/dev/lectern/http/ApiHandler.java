package dev.lectern.http;

import java.util.concurrent.CompletionStage;

/** A REST endpoint: plain Java in, plain Java out. Blocking handlers are run on the bounded blocking executor. */
@FunctionalInterface
public interface ApiHandler {
    CompletionStage<ApiResponse> handle(ApiRequest request) throws Exception;
}

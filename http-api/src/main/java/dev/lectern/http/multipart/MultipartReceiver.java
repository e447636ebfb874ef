package dev.lectern.http.multipart;

import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import java.util.concurrent.CompletionStage;

/**
 * What to do with a completely received form. Called on the event loop: hand blocking work (moving files to the
 * object store, extraction, JDBC) to the blocking executor. The form's files are deleted once the returned stage
 * completes, so move or copy what must stay.
 */
@FunctionalInterface
public interface MultipartReceiver {
    CompletionStage<ApiResponse> receive(ApiRequest request, MultipartForm form);
}

package dev.lectern.http;

import dev.lectern.http.sse.EventStream;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A route whose answer is an event stream. The request body has been read (and limited) like any REST body and the
 * decorators have accepted it; a failed stage or a thrown exception is answered as a JSON error before the stream
 * starts. {@code eventLoop} is the connection's: a stream whose source can deliver there saves a thread hop per
 * event. A comment line ({@code : keepalive}) goes out every {@code keepAliveMillis} while the stream is open.
 */
public record SseRoute(long keepAliveMillis, Source source) {
    @FunctionalInterface
    public interface Source {
        CompletionStage<EventStream> open(ApiRequest request, Executor eventLoop) throws Exception;
    }
}

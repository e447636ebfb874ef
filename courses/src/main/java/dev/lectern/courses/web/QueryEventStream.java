package dev.lectern.courses.web;

import dev.lectern.ai.llm.ChatStream;
import dev.lectern.ai.llm.ChatStreamListener;
import dev.lectern.ai.llm.LlmException;
import dev.lectern.ai.llm.Usage;
import dev.lectern.core.json.Json;
import dev.lectern.courses.CoursePassage;
import dev.lectern.courses.CourseQuery;
import dev.lectern.http.sse.QueuedEventStream;
import dev.lectern.http.sse.SseEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A course answer as an event stream: {@code {"type":"sources","sources":[…]}} first (each source with its citation,
 * and for a lecture its start so the player can jump there), then {@code {"type":"chunk","text":…}} per piece of
 * the model's answer, then {@code {"type":"done"}} or {@code {"type":"error","code","message"}}. A question with no
 * relevant passage gets {@code {"type":"no_passage","text":…}} and the end, without asking the model. The client's
 * demand paces the model (its stream is pulled), and a client that goes away cancels it.
 */
final class QueryEventStream extends QueuedEventStream implements ChatStreamListener {
    private volatile ChatStream model;

    QueryEventStream(List<CoursePassage> sources) {
        if (sources.isEmpty()) {
            sendLast(event(Map.of("type", "no_passage", "text", CourseQuery.NO_PASSAGE)));
        } else {
            send(event(Map.of("type", "sources", "sources", sources.stream().map(QueryEventStream::source)
                    .toList())));
        }
    }

    static Map<String, Object> source(CoursePassage p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", p.source());
        m.put("id", p.sourceId());
        m.put("name", p.name());
        m.put("citation", p.citation());
        if (p.source().equals(CoursePassage.LECTURE)) {
            m.put("start_ms", p.startMs());
            m.put("end_ms", p.endMs());
        } else {
            m.put("page", p.page());
        }
        m.put("text", p.text());
        m.put("score", p.score());
        return m;
    }

    /** The model's answer being streamed (set before the stream is handed to the writer). */
    void attach(ChatStream stream) {
        this.model = stream;
    }

    void fail(String code, String message) {
        sendLast(event(Map.of("type", "error", "code", code, "message", message)));
    }

    // --- ChatStreamListener (the model's side)

    @Override
    public void onText(String text, long receivedNanos) {
        send(event(Map.of("type", "chunk", "text", text)));
    }

    @Override
    public void onComplete(String finishReason, Usage usage) {
        sendLast(event(Map.of("type", "done", "finish_reason", finishReason == null ? "stop" : finishReason)));
    }

    @Override
    public void onError(LlmException error) {
        fail(error.code(), error.getMessage());
    }

    // --- the writer's side

    @Override
    protected void onRequest(long n) {
        ChatStream m = model;
        if (m != null) {
            m.request(n); // at most one text per event asked for
        }
    }

    @Override
    protected void onCancel() {
        ChatStream m = model;
        if (m != null) {
            m.cancel();
        }
    }

    private static SseEvent event(Object body) {
        return SseEvent.of(Json.writeBytes(body));
    }
}

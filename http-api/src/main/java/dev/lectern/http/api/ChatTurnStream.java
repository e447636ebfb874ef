package dev.lectern.http.api;

import dev.lectern.ai.conversation.Turn;
import dev.lectern.ai.conversation.TurnListener;
import dev.lectern.ai.llm.Usage;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.core.json.Json;
import dev.lectern.http.sse.EventStream;
import dev.lectern.http.sse.SseEvent;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One chat turn as an event stream, in plain Java: {@code {"status":"started",…}} when the stream starts, then
 * {@code {"status":"streaming","chunk":…}} per piece of answer text, {@code {"status":"audio",…}} per spoken
 * sentence (with a streamed clip's first bytes), and one of {@code complete}, {@code error} or {@code interrupted},
 * after which the stream ends. The writer's demand goes to {@link Turn#request}, so the model is read only as fast as
 * the client takes the text. What the turn says before the writer subscribes waits here, in order. The turn is begun
 * (question stored, model asked) by the thread that opened it while the head goes out ({@link Turn#beginAfter});
 * {@link #subscribe} and {@link #cancel} begin it when nobody has.
 */
final class ChatTurnStream implements EventStream, TurnListener {
    private final Executor executor;
    private final Timer gatewayLatency;
    private final Timer startLatency;
    private final long parsedNanos;
    private final Timer firstTextAdded;
    /** When the model's request was handed to its connection ({@link #asked}), 0 before. */
    private volatile long askedNanos;
    /** On the connection's loop: the first text event has been timed. */
    private boolean firstTextTimed;
    private volatile Turn turn;
    /** Guarded by {@code this}: events heard before the subscriber came (in order). */
    private final ArrayDeque<SseEvent> early = new ArrayDeque<>();
    private Subscriber subscriber;
    private boolean ended;

    /**
     * @param executor       where the writer runs (the connection's event loop): the model is read there if it can be
     * @param gatewayLatency time from a chunk arriving from the model to its event being on the client's socket
     */
    ChatTurnStream(Executor executor, Timer gatewayLatency) {
        this(executor, gatewayLatency, null, 0, null);
    }

    /**
     * @param startLatency time from the request parsed ({@code parsedNanos}) to the stream's head and first event
     *                     handed to the connection
     * @param firstTextAdded what Lectern adds to the model's own time before the first word: request parsed → first
     *                       text event on the client's socket, minus model asked → its first chunk in
     */
    ChatTurnStream(Executor executor, Timer gatewayLatency, Timer startLatency, long parsedNanos,
                   Timer firstTextAdded) {
        this.executor = executor;
        this.gatewayLatency = gatewayLatency;
        this.startLatency = startLatency;
        this.parsedNanos = parsedNanos;
        this.firstTextAdded = firstTextAdded;
    }

    /** The model's request was handed to its connection at {@code nanos}. */
    void asked(long nanos) {
        askedNanos = nanos;
    }

    /** The turn this stream listens to; set once it has started, before the stream is subscribed. */
    void attach(Turn t) {
        this.turn = t;
    }

    // --- EventStream

    @Override
    public synchronized void subscribe(Subscriber s) {
        Turn t = turn;
        ChatEvent hello = new ChatEvent("started", idValue(t.sessionId()), t.model(), t.offline(), null, null, null,
                null, null, null, null, null, null, null);
        s.onEvent(SseEvent.of(Json.writeBytes(hello)));
        while (!early.isEmpty()) { // an event emitted meanwhile on this thread joins the queue
            s.onEvent(early.poll());
        }
        if (ended) {
            s.onEnd();
        }
        subscriber = s;
        if (startLatency != null) {
            startLatency.record(System.nanoTime() - parsedNanos, TimeUnit.NANOSECONDS);
        }
        if (!ended) {
            t.begin(); // when the opener has not begun it already (it usually has)
        }
    }

    @Override
    public void request(long n) {
        turn.request(n);
    }

    @Override
    public void cancel() {
        Turn t = turn;
        if (t != null) {
            t.cancel();
            t.begin(); // a client gone before the stream started: its question is stored all the same
        }
    }

    @Override
    public void written(SseEvent event) {
        long now = System.nanoTime();
        gatewayLatency.record(now - event.receivedNanos(), TimeUnit.NANOSECONDS);
        if (!firstTextTimed && firstTextAdded != null) { // only text events are timed, and the first comes first
            firstTextTimed = true;
            long asked = askedNanos; // 0 when the answer came before the asking thread noted the time: not timed
            if (asked != 0) {
                firstTextAdded.record(Math.max(0, (now - parsedNanos) - (event.receivedNanos() - asked)),
                        TimeUnit.NANOSECONDS);
            }
        }
    }

    // --- TurnListener

    @Override
    public Executor executor() {
        return executor;
    }

    @Override
    public void onText(String text, long receivedNanos) {
        ChatEvent e = new ChatEvent("streaming", null, null, turn.offline() ? Boolean.TRUE : null, text, null, null,
                null, null, null, null, null, null, null);
        emit(new SseEvent(Json.writeBytes(e), receivedNanos), false);
    }

    @Override
    public void onAudio(int sentenceIndex, String url) {
        onAudio(sentenceIndex, url, "", new byte[0]);
    }

    /** The clip's first bytes, when it streams, travel in the event: the browser plays them without a round trip. */
    @Override
    public void onAudio(int sentenceIndex, String url, String mediaType, byte[] start) {
        boolean inline = start != null && start.length > 0;
        ChatEvent e = new ChatEvent("audio", null, null, null, null, sentenceIndex, url, null, null, null, null,
                null, null, null, inline ? mediaType : null,
                inline ? java.util.Base64.getEncoder().encodeToString(start) : null);
        emit(SseEvent.of(Json.writeBytes(e)), false);
    }

    @Override
    public void onComplete(Result r) {
        Usage u = r.usage();
        List<ChatEvent.Source> sources = new ArrayList<>(r.sources().size());
        for (Passage p : r.sources()) {
            sources.add(new ChatEvent.Source(idValue(p.fileId()), p.filename(), p.page() > 0 ? p.page() : null,
                    p.text()));
        }
        // session_id an int, as the Virtual Tutor front end reads it
        ChatEvent e = new ChatEvent("complete", idValue(r.sessionId()), r.model(), r.offline(), null, null, null,
                r.text(), new ChatEvent.TokenUsage(u.promptTokens(), u.completionTokens(), u.totalTokens(),
                u.estimated()), sources, r.notice(), null, null, null);
        emit(SseEvent.of(Json.writeBytes(e)), true);
    }

    @Override
    public void onError(String code, String message) {
        emit(SseEvent.of(Json.writeBytes(new ChatEvent("error", null, null, null, null, null, null, null, null, null,
                null, code, message, null))), true);
    }

    @Override
    public void onInterrupted(String reason) {
        emit(SseEvent.of(Json.writeBytes(new ChatEvent("interrupted", null, null, null, null, null, null, null, null,
                null, null, null, null, reason))), true);
    }

    /** A numeric id (the SQL stores') as a JSON number, any other id as a string. */
    static Object idValue(String id) {
        return id != null && !id.isEmpty() && id.length() < 19 && id.chars().allMatch(c -> c >= '0' && c <= '9')
                ? (Object) Long.valueOf(id) : id;
    }

    private void emit(SseEvent event, boolean last) {
        Subscriber s;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = last;
            s = subscriber;
            if (s == null) {
                early.add(event);
                return;
            }
        }
        s.onEvent(event);
        if (last) {
            s.onEnd();
        }
    }
}

package dev.lectern.ai.conversation;

import dev.lectern.ai.llm.ChatException;
import dev.lectern.ai.llm.ChatStream;
import dev.lectern.ai.llm.ChatStreamListener;
import dev.lectern.ai.llm.LlmException;
import dev.lectern.ai.llm.Usage;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.ai.tts.InOrder;
import dev.lectern.ai.tts.QuietFlush;
import dev.lectern.ai.tts.SentenceChunker;
import dev.lectern.ai.tts.SpeechService;
import dev.lectern.ai.usage.SpeechAllowance;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One answer being streamed to one user: pulls text from the model as its consumer allows, passes each released
 * sentence to the {@link SentenceSink}, and stores the answer exactly once: complete, or interrupted when the client
 * goes away, a newer message barges in, or the model fails.
 */
public final class Turn implements ChatStreamListener {
    private static final Logger logger = LoggerFactory.getLogger(Turn.class);

    private final ConversationService service;
    private final SentenceSink.TurnInfo info;
    private final Question question;
    private final String model;
    private volatile long promptChars;
    private final TurnListener listener;
    private final QuietFlush chunker;
    private final SentenceSink sink;
    private final Executor blocking;
    private final SpeechService speech;
    private final List<CompletableFuture<Void>> speaking = new ArrayList<>();
    private final InOrder<SpeechService.Outcome> audioInOrder = new InOrder<>();
    private volatile boolean speechOverBudget;
    /** What this answer may speak, read before the model is asked; null when it is not spoken. */
    private volatile SpeechAllowance speechAllowance;
    private final StringBuilder answer = new StringBuilder();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicBoolean begun = new AtomicBoolean();
    private volatile ChatStream stream;
    /** Guarded by {@code this}: demand heard before the model was asked. */
    private long earlyDemand;
    private volatile boolean offline;
    private volatile List<Passage> sources = List.of();
    private int sentences;

    Turn(ConversationService service, SentenceSink.TurnInfo info, String model,
         TurnListener listener, SentenceChunker chunker, long flushMillis, SentenceSink sink, Executor blocking,
         SpeechService speech, Question question, boolean offline) {
        this.offline = offline;
        this.service = service;
        this.info = info;
        this.question = question;
        this.model = model;
        this.listener = listener;
        // sentences are released in order, under the chunker's lock: from onText, or its quiet-period timer
        this.chunker = new QuietFlush(chunker, flushMillis, listener.executor(), this::release);
        this.sink = sink;
        this.blocking = blocking;
        this.speech = speech;
    }

    /** The question and who answers it, until {@link #begin} has stored it. */
    record Question(String text, Persona persona) {}

    public String sessionId() {
        return info.sessionId();
    }

    /**
     * Stores the question and asks the model, on the blocking executor (see {@link ConversationService#begin}); a
     * failure ends the turn with {@link TurnListener#onError}. For a turn from {@link ConversationService#open}; once
     * (later calls do nothing). After {@link #cancel} it still stores the question, and asks nothing.
     */
    public void begin() {
        if (!begun.compareAndSet(false, true)) {
            return;
        }
        Runnable task = () -> {
            try {
                service.begin(this);
            } catch (RuntimeException e) {
                failBeforeAsking(e);
            }
        };
        try {
            blocking.execute(task);
        } catch (RejectedExecutionException e) {
            failBeforeAsking(new ChatException(503, "server_busy", "the server is busy; try again"));
        }
    }

    /**
     * As {@link #begin}, on this thread (one that may block), after {@code first} has run: a caller that opened the
     * turn on a blocking thread hands its stream on with {@code first}, and the question is stored and the model asked
     * right here instead of after another trip through the executor's queue. Later {@link #begin} calls do nothing.
     */
    public void beginAfter(Runnable first) {
        boolean mine = begun.compareAndSet(false, true);
        first.run();
        if (!mine) {
            return;
        }
        try {
            service.begin(this);
        } catch (RuntimeException e) {
            failBeforeAsking(e);
        }
    }

    /** Whether the model has been asked (its stream attached): after {@link #beginAfter}, on the same thread. */
    public boolean asked() {
        return stream != null;
    }

    /** As {@link #begin}, on this thread; failures are thrown (nothing was asked). */
    void beginHere() {
        if (begun.compareAndSet(false, true)) {
            service.begin(this);
        }
    }

    private void failBeforeAsking(RuntimeException e) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        chunker.cancel();
        if (e instanceof ChatException c) {
            listener.onError(c.code(), c.getMessage());
        } else {
            logger.warn("a chat turn could not start", e);
            listener.onError("store_unavailable", "the question could not be stored; try again");
        }
    }

    Question question() {
        return question;
    }

    boolean finished() {
        return finished.get();
    }

    TurnListener listener() {
        return listener;
    }

    public String model() {
        return model;
    }

    public boolean offline() {
        return offline;
    }

    /** Whether this answer's sentences are spoken (a provider, and a model that is not the offline one). */
    boolean spoken() {
        return speech != null && speech.enabled() && !offline;
    }

    /** Set before the model is asked: each sentence then reserves its speech in memory. */
    void speechAllowance(SpeechAllowance allowance) {
        this.speechAllowance = allowance;
    }

    void attach(ChatStream s, long promptChars, List<Passage> sources) {
        this.promptChars = promptChars;
        this.sources = sources;
        this.offline = s.offline();
        long demand;
        synchronized (this) {
            this.stream = s;
            demand = earlyDemand;
            earlyDemand = 0;
        }
        if (finished.get()) {
            s.cancel(); // interrupted before the model was even asked
        } else if (demand > 0) {
            s.request(demand); // what the consumer asked for before the model was
        }
    }

    /** Allows {@code n} more text pieces; any thread (before the model is asked, the demand is kept for it). */
    public void request(long n) {
        ChatStream s = stream;
        if (s == null) {
            synchronized (this) {
                s = stream;
                if (s == null) {
                    long sum = earlyDemand + n;
                    earlyDemand = sum < 0 ? Long.MAX_VALUE : sum;
                    return;
                }
            }
        }
        s.request(n);
    }

    /** The client went away: cancel upstream at once and store what arrived as interrupted. */
    public void cancel() {
        interrupt(null, false);
    }

    /** Barge-in: as {@link #cancel()}, and the listener hears {@code onInterrupted}; stores synchronously. */
    void bargeIn() {
        interrupt("barge_in", true);
    }

    private void interrupt(String reason, boolean inline) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        ChatStream s = stream;
        if (s != null) {
            s.cancel();
        }
        chunker.cancel();
        sink.interrupted(info);
        String partial;
        synchronized (answer) {
            partial = answer.toString();
        }
        boolean asked = s != null;
        Runnable store = () -> {
            if (asked || !partial.isEmpty()) {
                service.storeAnswer(this, partial, ChatStore.Status.INTERRUPTED, null);
            } else {
                service.forget(this); // the model was never asked: there is no answer to store
            }
            if (reason != null) {
                listener.onInterrupted(reason);
            }
        };
        if (inline) {
            store.run();
        } else {
            runBlocking(store);
        }
    }

    @Override
    public void onText(String text, long receivedNanos) {
        if (finished.get()) {
            return;
        }
        synchronized (answer) {
            answer.append(text);
        }
        listener.onText(text, receivedNanos);
        chunker.feed(text);
    }

    @Override
    public void onComplete(String finishReason, Usage usage) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        chunker.finish();
        String text;
        synchronized (answer) {
            text = answer.toString();
        }
        Usage u = usage != null ? usage : Usage.estimate(promptChars, text);
        // the complete event goes out after every sentence's audio URL
        CompletableFuture.allOf(speaking.toArray(new CompletableFuture[0])).whenComplete((v, e) -> runBlocking(() -> {
            service.storeAnswer(this, text, ChatStore.Status.COMPLETE, u);
            String notice = speechOverBudget
                    ? "Text only: your text-to-speech budget is used up for now, so this answer has no audio."
                    : null;
            listener.onComplete(new TurnListener.Result(info.sessionId(), info.turnId(), model, text, u, offline,
                    notice, sources));
        }));
    }

    @Override
    public void onError(LlmException error) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        chunker.cancel();
        sink.interrupted(info);
        String partial;
        synchronized (answer) {
            partial = answer.toString();
        }
        runBlocking(() -> {
            service.storeAnswer(this, partial, ChatStore.Status.INTERRUPTED, null);
            listener.onError(error.code(), error.getMessage());
        });
    }

    /** A sentence is complete: to the sink (avatar hand-off) and to text-to-speech. */
    private void release(String sentence) {
        int index = sentences++;
        sink.accept(info, index, sentence);
        SpeechAllowance allowance = speechAllowance;
        if (allowance == null || !spoken()) {
            return;
        }
        // the budget is reserved here, in sentence order, in memory; synthesis runs concurrently; audio events go out
        // in sentence order
        SpeechService.Speech s = speech.speak(allowance, sentence, question.persona().voice());
        speaking.add(audioInOrder.add(s.outcome(), o -> {
            speechOverBudget |= o.overBudget();
            o.url().ifPresent(url -> listener.onAudio(index, url, o.mediaType(), o.start()));
        }));
    }

    SentenceSink.TurnInfo info() {
        return info;
    }

    private void runBlocking(Runnable task) {
        Runnable safe = () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                logger.warn("storing an answer failed", e);
                listener.onError("store_unavailable", "the answer could not be stored");
            }
        };
        try {
            blocking.execute(safe);
        } catch (RejectedExecutionException e) {
            logger.warn("blocking executor saturated; answer of turn {} not stored", info.turnId());
            listener.onError("server_busy", "the server is busy; the answer could not be stored");
        }
    }
}

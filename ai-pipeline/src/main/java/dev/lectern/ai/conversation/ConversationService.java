package dev.lectern.ai.conversation;

import dev.lectern.ai.llm.ChatException;
import dev.lectern.ai.llm.ChatMessage;
import dev.lectern.ai.llm.ChatRequest;
import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.ai.llm.Usage;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.ai.retrieval.RetrievalService;
import dev.lectern.ai.tts.SentenceChunker;
import dev.lectern.ai.tts.SpeechService;
import dev.lectern.ai.usage.UsageMeter;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.util.Futures;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Orchestrates a chat turn in two steps, so that a stream can start before the question is written: {@link #open}
 * checks the message, session, companion and budget (reads; a new chat's session is created); {@link #begin}
 * interrupts the user's answer still streaming (barge-in), stores the user's message before the model is asked, reads
 * what the voice needs later (the speech allowance, the sink's {@link SentenceSink#starting}), builds the context
 * (persona prompt + the most recent turns that fit the token budget) and opens the model stream. Both block (store):
 * call them from the blocking executor, one after the other on the same thread when they can
 * ({@link Turn#beginAfter}). From then on the voice path (sentences, speech reservations, the sink) does not block.
 */
public final class ConversationService {
    private static final Logger logger = LoggerFactory.getLogger(ConversationService.class);
    private static final int HISTORY_LIMIT = 100;

    private final AiConfig config;
    private final ChatStore store;
    private final PersonaLookup personas;
    private final ModelCatalog models;
    private final UsageMeter usage;
    private final SentenceSink sink;
    private final Executor blocking;
    private final SpeechService speech;
    private final RetrievalService retrieval;
    private final Map<String, Turn> active = new ConcurrentHashMap<>();
    private final AtomicLong turnIds = new AtomicLong();

    public ConversationService(AiConfig config, ChatStore store, PersonaLookup personas, ModelCatalog models,
                               UsageMeter usage, SentenceSink sink, Executor blocking, SpeechService speech,
                               RetrievalService retrieval) {
        this.config = config;
        this.store = store;
        this.personas = personas;
        this.models = models;
        this.usage = usage;
        this.sink = sink;
        this.blocking = blocking;
        this.speech = speech;
        this.retrieval = retrieval;
    }

    public ModelCatalog models() {
        return models;
    }

    public ChatStore store() {
        return store;
    }

    /**
     * Starts an answer to {@code message} on this thread: {@link #open}, then {@link #begin}. Refusals before the
     * model is asked are {@link ChatException}s (400 empty or too long, 404 unknown session or companion, 429 over the
     * model budget). The returned turn delivers nothing until {@link Turn#request} is called.
     */
    public Turn start(String userId, String message, String sessionId, String companionId, TurnListener listener) {
        Turn turn = open(userId, message, sessionId, companionId, listener);
        turn.beginHere();
        return turn;
    }

    /**
     * Checks everything that can refuse the question, with reads only (the session, the companion, the budget, the
     * active model), creates a new chat's session (its id is in the stream's first event), and returns a turn that has
     * stored and asked nothing else yet: its stream can start at once, and {@link Turn#begin} does the rest. Blocks.
     */
    public Turn open(String userId, String message, String sessionId, String companionId, TurnListener listener) {
        String text = message == null ? "" : message.strip();
        if (text.isEmpty()) {
            throw new ChatException(400, "bad_request", "message is required");
        }
        if (text.length() > config.maxMessageChars()) {
            throw new ChatException(400, "bad_request", "message is longer than " + config.maxMessageChars()
                    + " characters");
        }
        ChatStore.ChatSession session = null;
        Persona persona;
        if (sessionId != null && !sessionId.isBlank()) {
            session = store.findSession(userId, sessionId)
                    .orElseThrow(() -> new ChatException(404, "not_found", "no such chat session"));
            persona = persona(session.companionId());
        } else {
            persona = persona(companionId == null || companionId.isBlank() ? null : companionId);
        }
        usage.checkModelBudget(userId);
        String model = models.activeModel(userId);
        if (session == null) {
            // the one write before the stream: a new chat's id is in its started event
            session = store.createSession(userId, persona.companionId());
        }

        SentenceSink.TurnInfo info = new SentenceSink.TurnInfo(userId, session.id(), turnIds.incrementAndGet(),
                persona.companionId());
        AiConfig.Chunker c = config.chunker();
        return new Turn(this, info, model, listener,
                new SentenceChunker(c.minChars(), c.maxChars(), c.firstClauseMinChars()), c.flushMillis(), sink,
                blocking, speech, new Turn.Question(text, persona), models.offline(model));
    }

    /**
     * Stores the question and asks the model. The question is stored before the model is asked, and in parallel with
     * building the context: its write runs on another thread while this one loads the history and retrieves passages,
     * and the model is asked only once the write has succeeded, so no answer is ever given to a question that is not
     * stored, and the write costs the turn nothing when the reads take as long. A newer turn of the same user interrupts the older one here (barge-in), storing its
     * partial answer before this question. Blocks (store writes): on the blocking executor.
     */
    void begin(Turn turn) {
        Turn.Question q = turn.question();
        String userId = turn.info().userId();
        String sessionId = turn.info().sessionId();
        Turn previous = active.put(userId, turn);
        if (previous != null && previous != turn) {
            previous.bargeIn(); // stores its partial answer before the new message
        }
        try {
            Helped<ChatStore.StoredMessage> question = new Helped<>(() -> store.append(sessionId,
                    ChatStore.Role.USER, q.text(), ChatStore.Status.COMPLETE), blocking);
            prepareVoice(turn);
            List<Passage> sources = retrieve(userId, q.text());
            List<ChatStore.StoredMessage> history = store.lastMessages(sessionId, HISTORY_LIMIT);
            long questionId = question.join().id();
            List<ChatStore.StoredMessage> before = new ArrayList<>(history.size() + 1);
            for (ChatStore.StoredMessage m : history) {
                if (m.id() != questionId) { // the history was read while the question was being written
                    before.add(m);
                }
            }
            before.add(new ChatStore.StoredMessage(questionId, sessionId, ChatStore.Role.USER, q.text(),
                    ChatStore.Status.COMPLETE, 0));
            if (turn.finished()) {
                active.remove(userId, turn);
                sink.ended(turn.info());
                return; // the client left, or a newer message took over, while this one was stored: nothing to ask
            }
            List<ChatMessage> context = context(q.persona(), before, sources);
            ChatRequest request = new ChatRequest(turn.model(), context, config.temperature(), config.maxTokens(),
                    turn.listener().executor());
            turn.attach(models.provider(turn.model()).stream(request, sources, turn), request.promptChars(), sources);
        } catch (RuntimeException e) {
            active.remove(userId, turn); // nothing was asked: the turn never started
            sink.ended(turn.info());
            throw e;
        }
    }

    /**
     * What the answer's sentences need later without blocking, read here: the user's speech allowance (each sentence
     * then reserves its speech in memory) and what the sink wants to know ({@link SentenceSink#starting}). A failure
     * leaves the answer text only, or without the sink's part; it does not stop the turn.
     */
    private void prepareVoice(Turn turn) {
        if (turn.spoken()) {
            try {
                turn.speechAllowance(usage.speechAllowance(turn.info().userId(), blocking));
            } catch (RuntimeException e) {
                logger.warn("the speech budget could not be read; this answer stays text only: {}", e.toString());
            }
        }
        try {
            sink.starting(turn.info());
        } catch (RuntimeException e) {
            logger.warn("preparing the sentence sink for an answer failed: {}", e.toString());
        }
    }

    /**
     * A task offered to an executor that the thread waiting for it runs itself when no other thread has taken it
     * yet: the question's write. Waiting on the same bounded executor for a task queued behind us would deadlock
     * once every thread of that executor waits so (100 turns starting at once on 32 threads did): here the waiter
     * either finds the task running elsewhere (it ends without us) or runs it.
     */
    static final class Helped<T> {
        private final CompletableFuture<T> result = new CompletableFuture<>();
        private final AtomicBoolean claimed = new AtomicBoolean();
        private final Supplier<T> task;

        Helped(Supplier<T> task, Executor executor) {
            this.task = task;
            try {
                executor.execute(this::run);
            } catch (RejectedExecutionException e) {
                // the waiter runs it
            }
        }

        private void run() {
            if (!claimed.compareAndSet(false, true)) {
                return;
            }
            try {
                result.complete(task.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }

        /** The task's result: run here if no thread has started it, else waited for. */
        T join() {
            run();
            try {
                return result.join();
            } catch (CompletionException e) {
                Throwable cause = Futures.unwrap(e);
                throw cause instanceof RuntimeException r ? r : e;
            }
        }
    }

    /** The passages of the user's documents relevant to the question; none when retrieval fails (logged). */
    private List<Passage> retrieve(String userId, String question) {
        if (retrieval == null) {
            return List.of();
        }
        try {
            return retrieval.retrieve(userId, question);
        } catch (RuntimeException e) {
            logger.warn("retrieval failed; answering without the user's documents: {}", e.toString());
            return List.of();
        }
    }

    /** The system message that hands the model the retrieved passages and asks it to cite them. */
    static String documentsPrompt(List<Passage> passages) {
        StringBuilder b = new StringBuilder("Passages from the student's own uploaded documents that match the"
                + " question. Use them when they help, and say which document and page an answer comes from,"
                + " e.g. (notes.pdf, page 2). Do not invent sources.");
        int i = 1;
        for (Passage p : passages) {
            b.append("\n\n[").append(i++).append("] ").append(p.filename());
            if (p.page() > 0) {
                b.append(", page ").append(p.page());
            }
            b.append(":\n").append(p.text());
        }
        return b.toString();
    }

    List<ChatMessage> context(Persona persona, String sessionId) {
        return context(persona, sessionId, List.of());
    }

    /**
     * The persona prompt, the retrieved passages (if any), then the newest turns (oldest first) that fit in the
     * context token budget.
     */
    List<ChatMessage> context(Persona persona, String sessionId, List<Passage> passages) {
        return context(persona, store.lastMessages(sessionId, HISTORY_LIMIT), passages);
    }

    /** As above, from the session's last messages (oldest first, the question last). */
    private List<ChatMessage> context(Persona persona, List<ChatStore.StoredMessage> history, List<Passage> passages) {
        String documents = passages.isEmpty() ? null : documentsPrompt(passages);
        long budget = config.contextTokenBudget() - Usage.estimateTokens(persona.prompt())
                - (documents == null ? 0 : Usage.estimateTokens(documents));
        List<ChatMessage> recent = new ArrayList<>();
        for (int i = history.size() - 1; i >= 0; i--) {
            ChatStore.StoredMessage m = history.get(i);
            if (m.content().isEmpty()) {
                continue;
            }
            long tokens = Usage.estimateTokens(m.content());
            if (tokens > budget && !recent.isEmpty()) {
                break;
            }
            budget -= tokens;
            recent.add(new ChatMessage(m.role().wireName(), m.content()));
        }
        Collections.reverse(recent);
        List<ChatMessage> out = new ArrayList<>(recent.size() + 1);
        out.add(new ChatMessage("system", persona.prompt()));
        if (documents != null) {
            out.add(new ChatMessage("system", documents));
        }
        out.addAll(recent);
        return out;
    }

    private Persona persona(String companionId) {
        if (companionId == null) {
            return personas.defaultPersona();
        }
        return personas.find(companionId)
                .orElseThrow(() -> new ChatException(404, "not_found", "no such companion"));
    }

    /** The turn ended without an answer to store. */
    void forget(Turn turn) {
        active.remove(turn.info().userId(), turn);
        sink.ended(turn.info());
    }

    /** Stores an answer once, counts its tokens, and forgets the turn; returns a notice for the user or null. */
    String storeAnswer(Turn turn, String text, ChatStore.Status status, Usage u) {
        SentenceSink.TurnInfo info = turn.info();
        active.remove(info.userId(), turn);
        sink.ended(info);
        store.append(info.sessionId(), ChatStore.Role.ASSISTANT, text, status);
        if (u != null && !turn.offline()) {
            usage.addModelTokens(info.userId(), u.totalTokens());
        }
        return null;
    }
}

package dev.lectern.avatars;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.conversation.SentenceSink;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.media.AvatarService;
import dev.lectern.media.ProxyTarget;
import dev.lectern.media.livetalking.LiveTalkingClient;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tutor's voice on the student's avatar: each sentence of an answer goes to the user's own avatar instance as
 * {@code POST /human {sessionid, text, type:"echo"}}, strictly in order per user; on barge-in {@code /interrupt_talk}
 * goes first and sentences of the old answer still queued are dropped. A user without a ready avatar, or whose
 * LiveTalking session id is not known yet ({@code POST /api/sessionid}), simply gets no voice; nothing blocks the
 * answer stream.
 *
 * <p>The session id is read once per answer, before the model is asked ({@link #starting}, on a blocking thread);
 * sentences then go out without blocking and without a thread hand-off: the first send starts on the thread that
 * released the sentence, each later one when the previous send completes (on the HTTP client's I/O thread). An answer
 * that was not prepared so (none of this node's chat turns) reads the session id on the blocking executor first.
 */
public final class AvatarVoice implements SentenceSink {
    private static final Logger logger = LoggerFactory.getLogger(AvatarVoice.class);

    private final AvatarService avatars;
    private final LiveTalkingClient client;
    private final EphemeralStore store;
    private final Function<String, String> sessionKey;
    private final Executor blocking;
    /** Per user: the end of the chain of sends, so that sentences are spoken in order. */
    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    /** Per user: bumped on barge-in; a queued send of an older generation is dropped. */
    private final Map<String, AtomicLong> generations = new ConcurrentHashMap<>();
    /** Per user: the LiveTalking session id read for their current answer (empty: none registered). */
    private final Map<String, Prepared> prepared = new ConcurrentHashMap<>();

    /** The session id read for one answer. */
    private record Prepared(long turnId, Optional<JsonNode> session) {}

    public AvatarVoice(AvatarService avatars, LiveTalkingClient client, EphemeralStore store,
                       Function<String, String> sessionKey, Executor blocking) {
        this.avatars = avatars;
        this.client = client;
        this.store = store;
        this.sessionKey = sessionKey;
        this.blocking = blocking;
    }

    /** Reads the user's LiveTalking session id for this answer (blocks: the store may be Redis). */
    @Override
    public void starting(TurnInfo turn) {
        String user = turn.userId();
        if (!(avatars.target(user) instanceof ProxyTarget.Ready)) {
            prepared.remove(user);
            return;
        }
        prepared.put(user, new Prepared(turn.turnId(), readSession(user)));
    }

    @Override
    public void ended(TurnInfo turn) {
        prepared.computeIfPresent(turn.userId(), (u, p) -> p.turnId() == turn.turnId() ? null : p);
    }

    @Override
    public void accept(TurnInfo turn, int index, String sentence) {
        String user = turn.userId();
        if (!(avatars.target(user) instanceof ProxyTarget.Ready)) {
            return;
        }
        avatars.touch(user); // speaking on the avatar keeps its lease
        long generation = generation(user).get();
        Prepared p = prepared.get(user);
        Optional<JsonNode> known = p != null && p.turnId() == turn.turnId() ? p.session() : null;
        enqueue(user, known != null, () -> {
            if (generation(user).get() != generation) {
                return CompletableFuture.completedFuture(null); // barged in: the old answer is not spoken
            }
            return withSession(user, known, (port, session) -> client.human(port, session, sentence, false));
        });
    }

    @Override
    public void interrupted(TurnInfo turn) {
        String user = turn.userId();
        generation(user).incrementAndGet();
        if (avatars.target(user) instanceof ProxyTarget.Ready) {
            Prepared p = prepared.get(user);
            Optional<JsonNode> known = p != null && p.turnId() == turn.turnId() ? p.session() : null;
            enqueue(user, known != null, () -> withSession(user, known, client::interruptTalk));
        }
    }

    private AtomicLong generation(String user) {
        return generations.computeIfAbsent(user, u -> new AtomicLong());
    }

    /**
     * Chains a send after the user's previous one; failures are logged and do not stop later sentences. A send that
     * does not block starts on the thread that completes the previous one (this thread when there is none); one that
     * must read the store first runs on the blocking executor.
     */
    private void enqueue(String user, boolean nonBlocking, Supplier<CompletableFuture<Void>> send) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] previous = new CompletableFuture[1];
        tails.compute(user, (u, tail) -> {
            previous[0] = tail;
            return mine; // only linked here: the send starts outside the map's lock
        });
        CompletableFuture<Void> after = previous[0] == null ? CompletableFuture.completedFuture(null) : previous[0];
        (nonBlocking ? after.thenCompose(x -> send.get()) : after.thenComposeAsync(x -> send.get(), blocking))
                .whenComplete((x, e) -> {
                    if (e != null) {
                        logger.debug("avatar voice for a user failed: {}", e.toString());
                    }
                    tails.remove(user, mine);
                    mine.complete(null);
                });
    }

    /** Calls the avatar with the session id: {@code known} (read for the answer), or read now when null (blocks). */
    private CompletableFuture<Void> withSession(String user, Optional<JsonNode> known,
                                                BiFunction<Integer, JsonNode, CompletionStage<Void>> call) {
        if (!(avatars.target(user) instanceof ProxyTarget.Ready ready)) {
            return CompletableFuture.completedFuture(null);
        }
        Optional<JsonNode> session = known != null ? known : readSession(user);
        if (session.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return call.apply(ready.port(), session.get()).toCompletableFuture();
    }

    private Optional<JsonNode> readSession(String user) {
        return store.get(sessionKey.apply(user)).flatMap(AvatarVoice::parse);
    }

    private static Optional<JsonNode> parse(String raw) {
        try {
            return Optional.of(Json.MAPPER.readTree(raw));
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }
}

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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tutor's voice on the student's avatar: each sentence of an answer goes to the user's own avatar instance as
 * {@code POST /human {sessionid, text, type:"echo"}}, strictly in order per user; on barge-in {@code /interrupt_talk}
 * goes first and sentences of the old answer still queued are dropped. A user without a ready avatar, or whose
 * LiveTalking session id is not known yet ({@code POST /api/sessionid}), simply gets no voice; nothing blocks the
 * answer stream.
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

    public AvatarVoice(AvatarService avatars, LiveTalkingClient client, EphemeralStore store,
                       Function<String, String> sessionKey, Executor blocking) {
        this.avatars = avatars;
        this.client = client;
        this.store = store;
        this.sessionKey = sessionKey;
        this.blocking = blocking;
    }

    @Override
    public void accept(TurnInfo turn, int index, String sentence) {
        String user = turn.userId();
        if (!(avatars.target(user) instanceof ProxyTarget.Ready)) {
            return;
        }
        avatars.touch(user); // speaking on the avatar keeps its lease
        long generation = generation(user).get();
        enqueue(user, () -> {
            if (generation(user).get() != generation) {
                return CompletableFuture.completedFuture(null); // barged in: the old answer is not spoken
            }
            return withSession(user, (port, session) -> client.human(port, session, sentence, false));
        });
    }

    @Override
    public void interrupted(TurnInfo turn) {
        String user = turn.userId();
        generation(user).incrementAndGet();
        if (avatars.target(user) instanceof ProxyTarget.Ready) {
            enqueue(user, () -> withSession(user, client::interruptTalk));
        }
    }

    private AtomicLong generation(String user) {
        return generations.computeIfAbsent(user, u -> new AtomicLong());
    }

    /** Chains a send after the user's previous one; failures are logged and do not stop later sentences. */
    private void enqueue(String user, java.util.function.Supplier<CompletableFuture<Void>> send) {
        CompletableFuture<Void> next = tails.compute(user, (u, tail) -> (tail == null
                ? CompletableFuture.<Void>completedFuture(null) : tail)
                .thenComposeAsync(x -> send.get(), blocking)
                .exceptionally(e -> {
                    logger.debug("avatar voice for a user failed: {}", e.toString());
                    return null;
                }));
        next.whenComplete((x, e) -> tails.remove(user, next));
    }

    private CompletableFuture<Void> withSession(String user,
            java.util.function.BiFunction<Integer, JsonNode, java.util.concurrent.CompletionStage<Void>> call) {
        if (!(avatars.target(user) instanceof ProxyTarget.Ready ready)) {
            return CompletableFuture.completedFuture(null);
        }
        Optional<JsonNode> session = store.get(sessionKey.apply(user)).flatMap(AvatarVoice::parse);
        if (session.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return call.apply(ready.port(), session.get()).toCompletableFuture();
    }

    private static Optional<JsonNode> parse(String raw) {
        try {
            return Optional.of(Json.MAPPER.readTree(raw));
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }
}

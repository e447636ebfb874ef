package dev.lectern.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.lessons.LessonService;
import dev.lectern.lessons.ProjectEvents;
import dev.lectern.signaling.PeerEvents;
import dev.lectern.signaling.room.Peer;
import dev.lectern.signaling.room.SignalingError;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The Socket.IO side of a project's live changes: {@code subscribe {project_id}} checks that the project is the
 * caller's (on the blocking executor, since it reads the SQL store, and subscribes there, since the subscription
 * waits for the store's confirmation), then acks {@code {ok:true,project_id}}; from then on the socket gets
 * {@code project-event} with each message of {@link ProjectEvents}, the same payloads as the SSE route.
 * {@code unsubscribe {project_id}} stops them; a closed connection stops all of its subscriptions. Another user's
 * project, or one that does not exist, is refused alike ({@code not_found}).
 */
final class ProjectSubscriptions implements PeerEvents {
    static final int MAX_PER_PEER = 32;
    private static final int MAX_ID_CHARS = 64;

    private final LessonService lessons;
    private final ProjectEvents events;
    private final Executor blocking;
    /** Each connection's subscriptions, by project id. */
    private final Map<String, Map<String, EphemeralStore.Subscription>> byPeer = new ConcurrentHashMap<>();

    ProjectSubscriptions(LessonService lessons, ProjectEvents events, Executor blocking) {
        this.lessons = lessons;
        this.events = events;
        this.blocking = blocking;
    }

    @Override
    public Set<String> events() {
        return Set.of("subscribe", "unsubscribe");
    }

    @Override
    public CompletionStage<JsonNode> handle(Peer peer, String event, JsonNode data) {
        String projectId = projectId(data);
        if (event.equals("unsubscribe")) {
            Map<String, EphemeralStore.Subscription> subs = byPeer.get(peer.peerId());
            EphemeralStore.Subscription s = subs == null ? null : subs.remove(projectId);
            if (s != null) {
                s.close();
            }
            return CompletableFuture.completedFuture(ok(projectId));
        }
        Map<String, EphemeralStore.Subscription> subs = byPeer.computeIfAbsent(peer.peerId(),
                k -> new ConcurrentHashMap<>());
        if (subs.containsKey(projectId)) {
            return CompletableFuture.completedFuture(ok(projectId));
        }
        if (subs.size() >= MAX_PER_PEER) {
            throw new SignalingError("too_many_subscriptions", "at most " + MAX_PER_PEER + " projects at a time");
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                lessons.project(new Principal(peer.userId(), Role.STUDENT, null), projectId);
            } catch (ServiceException e) {
                throw new SignalingError(e.status() == 404 ? "not_found" : "refused", e.getMessage());
            }
            EphemeralStore.Subscription s = events.subscribe(projectId, message -> peer.send("project-event",
                    parse(message)));
            EphemeralStore.Subscription before = subs.putIfAbsent(projectId, s);
            if (before != null || !peer.isOpen() || byPeer.get(peer.peerId()) != subs) {
                s.close(); // a second subscribe raced this one, or the connection went meanwhile
                subs.remove(projectId, s);
            }
            return ok(projectId);
        }, blocking);
    }

    @Override
    public void disconnected(Peer peer) {
        Map<String, EphemeralStore.Subscription> subs = byPeer.remove(peer.peerId());
        if (subs != null) {
            subs.values().forEach(EphemeralStore.Subscription::close);
        }
    }

    private static String projectId(JsonNode data) {
        JsonNode v = data == null ? null : data.get("project_id");
        if (v == null || !v.isTextual() || v.asText().isEmpty() || v.asText().length() > MAX_ID_CHARS) {
            throw new SignalingError("bad_request", "project_id must be a string of 1-" + MAX_ID_CHARS + " characters");
        }
        return v.asText();
    }

    private static JsonNode ok(String projectId) {
        return Json.MAPPER.createObjectNode().put("ok", true).put("project_id", projectId);
    }

    private static JsonNode parse(String message) {
        try {
            return Json.MAPPER.readTree(message);
        } catch (IOException e) {
            throw new IllegalStateException("a project event is not JSON", e);
        }
    }
}

package dev.lectern.http.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.history.ChatRepository;
import dev.lectern.companions.CompanionRepository;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.http.Access;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Paging;
import dev.lectern.http.Router;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Text chats with the AI tutor, in the shapes the original chat backend used: new chat, history with message counts
 * and favourites, messages of a chat, favourite, delete, and the user's avatar WebRTC session id.
 */
public final class ChatHistoryApi {
    static final int MAX_TITLE = 200;

    private final ChatRepository chats;
    private final CompanionRepository companions;
    private final EphemeralStore ephemeral;
    private final Duration avatarSessionTtl;

    public ChatHistoryApi(ChatRepository chats, CompanionRepository companions, EphemeralStore ephemeral,
                          Duration avatarSessionTtl) {
        this.chats = chats;
        this.companions = companions;
        this.ephemeral = ephemeral;
        this.avatarSessionTtl = avatarSessionTtl;
    }

    record NewChat(String title, String companion_id) {}

    record Favorite(Boolean is_favorite) {}

    public void register(Router.Builder routes) {
        routes.post("/api/chat/new").access(Access.USER).blocking().json().tag("chat").errors(404)
                .summary("Start a chat").example(Map.of("title", "Quadratic equations", "companion_id", "ada-math"))
                .handle(this::create);
        routes.get("/api/chat/history").access(Access.USER).blocking().tag("chat")
                .summary("The caller's chats, most recently active first, with message counts")
                .query("favorites", "boolean", false, "only favourites")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .handle(this::history);
        routes.get("/api/message/list").access(Access.USER).blocking().tag("chat").errors(404)
                .summary("Messages of one of the caller's chats, oldest first")
                .query("session_id", "integer", true, "the chat")
                .query("after", "integer", false, "only messages with a larger id")
                .query("limit", "integer", false, "1-500, default 200")
                .handle(this::messages);
        routes.post("/api/chat/{id}/favorite").access(Access.USER).blocking().json().tag("chat").errors(404)
                .summary("Mark or unmark a chat as favourite (toggles without a body)")
                .example(Map.of("is_favorite", true)).handle(this::favorite);
        routes.delete("/api/chat/{id}").access(Access.USER).blocking().tag("chat").errors(404)
                .summary("Delete a chat and its messages").handle(this::delete);
        routes.post("/api/sessionid").access(Access.USER).blocking().json().tag("avatar")
                .summary("Remember the caller's avatar WebRTC session id (int or string, as LiveTalking sent it)")
                .example(Map.of("sessionid", 123456)).handle(this::rememberAvatarSession);
    }

    private CompletionStage<ApiResponse> create(ApiRequest r) {
        NewChat body = r.body().length == 0 ? new NewChat(null, null) : r.json(NewChat.class);
        String title = body.title() == null || body.title().isBlank() ? "New chat" : body.title().strip();
        if (title.length() > MAX_TITLE || title.chars().anyMatch(Character::isISOControl)) {
            throw ServiceException.badRequest("title must be at most " + MAX_TITLE + " characters without control characters");
        }
        if (body.companion_id() != null && companions.find(body.companion_id())
                .filter(c -> !c.companion().retired()).isEmpty()) {
            throw ServiceException.notFound("no such tutor: " + body.companion_id());
        }
        ChatRepository.ChatSession s = chats.create(r.requirePrincipal().userId(), title, body.companion_id());
        return ApiResponse.json(201, sessionView(s)).async();
    }

    private CompletionStage<ApiResponse> history(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        boolean favorites = r.queryParam("favorites").map(v -> v.equals("true") || v.equals("1")).orElse(false);
        Paging paging = Paging.of(r);
        var items = chats.list(user, favorites, paging.offset(), paging.pageSize()).stream()
                .map(ChatHistoryApi::sessionView).toList();
        return ApiResponse.json(paging.envelope("sessions", items, chats.count(user, favorites))).async();
    }

    private CompletionStage<ApiResponse> messages(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        long sessionId = positiveLong(r.queryParam("session_id").orElseThrow(
                () -> ServiceException.badRequest("session_id is required")), "session_id");
        long after = r.queryParam("after").map(v -> v.isEmpty() ? 0 : positiveOrZero(v)).orElse(0L);
        int limit = r.queryInt("limit", 200, 1, 500);
        chats.find(user, sessionId).orElseThrow(() -> ServiceException.notFound("no such chat"));
        var messages = chats.messages(user, sessionId, after, limit).stream().map(m -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("id", m.id());
            v.put("role", m.role());
            v.put("content", m.content());
            v.put("status", m.status());
            v.put("created_at", Instant.ofEpochMilli(m.createdAt()).toString());
            return v;
        }).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("session_id", sessionId);
        body.put("messages", messages);
        return ApiResponse.json(body).async();
    }

    private CompletionStage<ApiResponse> favorite(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        long id = r.pathId("id");
        ChatRepository.ChatSession s = chats.find(user, id).orElseThrow(() -> ServiceException.notFound("no such chat"));
        Boolean wanted = r.body().length == 0 ? null : r.json(Favorite.class).is_favorite();
        boolean value = wanted == null ? !s.favorite() : wanted;
        chats.setFavorite(user, id, value);
        return ApiResponse.json(Map.of("session_id", id, "is_favorite", value)).async();
    }

    private CompletionStage<ApiResponse> delete(ApiRequest r) {
        if (!chats.delete(r.requirePrincipal().userId(), r.pathId("id"))) {
            throw ServiceException.notFound("no such chat");
        }
        return ApiResponse.noContent().async();
    }

    private CompletionStage<ApiResponse> rememberAvatarSession(ApiRequest r) {
        JsonNode sessionId = r.jsonObject().get("sessionid");
        boolean ok = sessionId != null && ((sessionId.isIntegralNumber() && sessionId.canConvertToLong())
                || (sessionId.isTextual() && sessionId.asText().matches("[A-Za-z0-9-]{1,64}")));
        if (!ok) {
            throw ServiceException.badRequest("sessionid must be an integer or an id string of letters, digits and '-'");
        }
        ephemeral.set(avatarSessionKey(r.requirePrincipal().userId()), sessionId.toString(), avatarSessionTtl);
        return ApiResponse.json(Map.of("status", "ok", "sessionid", sessionId)).async();
    }

    /** Where the caller's avatar session id is kept (raw JSON: a number or a quoted string). */
    public static String avatarSessionKey(String userId) {
        return "user:" + userId + ":avatar_session";
    }

    static Map<String, Object> sessionView(ChatRepository.ChatSession s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("session_id", s.id());
        m.put("title", s.title());
        m.put("companion_id", s.companionId());
        m.put("message_count", s.messageCount());
        m.put("is_favorite", s.favorite());
        m.put("created_at", Instant.ofEpochMilli(s.createdAt()).toString());
        m.put("updated_at", Instant.ofEpochMilli(s.updatedAt()).toString());
        return m;
    }

    private static long positiveLong(String v, String name) {
        try {
            long n = Long.parseLong(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // below
        }
        throw ServiceException.badRequest(name + " must be a positive integer");
    }

    private static long positiveOrZero(String v) {
        try {
            long n = Long.parseLong(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // below
        }
        throw ServiceException.badRequest("after must be a non-negative integer");
    }
}

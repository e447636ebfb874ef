package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonProperty;
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
import dev.lectern.http.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Text chats with the AI tutor, in the shapes the Virtual Tutor backend documents (seed 003): new chat, history with
 * message counts and favourites (a bare array), messages of a chat (a bare array; uploads carry their file type and
 * path), favourite, delete, and the user's avatar WebRTC session id. Lectern's own fields stand beside the documented
 * ones; lists return everything unless a page is asked for, with {@code X-Total-Count} (and {@code Link}) headers.
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

    /** {@code {"sessionid": 123}}: a LiveTalking session id, a number or an id string. */
    record AvatarSessionId(JsonNode sessionid) {}

    /** A success that has nothing to say but {@code msg}. */
    public record Done(String msg) {}

    /** One chat: the seed's fields ({@code id, title, created_at, updated_at, message_count, is_favorite}), then ours. */
    public record SessionView(
            long id,
            String title,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("updated_at") String updatedAt,
            @JsonProperty("message_count") long messageCount,
            @JsonProperty("is_favorite") boolean isFavorite,
            @JsonProperty("session_id") long sessionId,
            @JsonProperty("companion_id") String companionId) {}

    /** {@code POST /api/chat/new}: 201 {@code {session_id}}, with the new chat's fields beside it. */
    public record NewChatReply(
            String msg,
            @JsonProperty("session_id") long sessionId,
            String title,
            @JsonProperty("companion_id") String companionId,
            @JsonProperty("message_count") long messageCount,
            @JsonProperty("is_favorite") boolean isFavorite,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("updated_at") String updatedAt) {}

    /** One message: the seed's fields ({@code role, content, created_at, file_type, file_path}), then ours. */
    public record MessageView(
            String role,
            String content,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("file_type") String fileType,
            @JsonProperty("file_path") String filePath,
            long id,
            String status) {}

    public record FavoriteReply(
            String msg,
            @JsonProperty("session_id") long sessionId,
            @JsonProperty("is_favorite") boolean isFavorite) {}

    public void register(Router.Builder routes) {
        routes.post("/api/chat/new").access(Access.USER).blocking().json().tag("chat").errors(404)
                .summary("Start a chat").example(Map.of("title", "Quadratic equations", "companion_id", "ada-math"))
                .request(NewChat.class).returns(201, NewChatReply.class)
                .handle(this::create);
        routes.get("/api/chat/history").access(Access.USER).blocking().tag("chat")
                .summary("The caller's chats, most recently active first, with message counts: all of them unless"
                        + " page or page_size is given (X-Total-Count and Link headers)")
                .query("favorites", "boolean", false, "only favourites")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .returns(200, Types.listOf(SessionView.class))
                .handle(this::history);
        routes.get("/api/message/list").access(Access.USER).blocking().tag("chat").errors(404)
                .summary("Messages of one of the caller's chats, oldest first: all of them unless limit is given"
                        + " (X-Total-Count header; a Link to the next messages while more remain)")
                .query("session_id", "integer", true, "the chat")
                .query("after", "integer", false, "only messages with a larger id")
                .query("limit", "integer", false, "1-500")
                .returns(200, Types.listOf(MessageView.class))
                .handle(this::messages);
        routes.post("/api/chat/{id}/favorite").access(Access.USER).blocking().json().tag("chat").errors(404)
                .summary("Mark or unmark a chat as favourite (toggles without a body)")
                .example(Map.of("is_favorite", true)).request(Favorite.class).returns(200, FavoriteReply.class)
                .handle(this::favorite);
        routes.delete("/api/chat/{id}").access(Access.USER).blocking().tag("chat").errors(404)
                .summary("Delete a chat and its messages").returns(200, Done.class).handle(this::delete);
        routes.post("/api/sessionid").access(Access.USER).blocking().json().tag("avatar")
                .summary("Remember the caller's avatar WebRTC session id (int or string, as LiveTalking sent it);"
                        + " 200 with an empty body")
                .example(Map.of("sessionid", 123456)).request(AvatarSessionId.class)
                .returns(200, Void.class).errors(400).handle(this::rememberAvatarSession);
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
        return ApiResponse.json(201, new NewChatReply("Chat session created", s.id(), s.title(), s.companionId(),
                s.messageCount(), s.favorite(), time(s.createdAt()), time(s.updatedAt()))).async();
    }

    private CompletionStage<ApiResponse> history(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        boolean favorites = r.queryParam("favorites").map(v -> v.equals("true") || v.equals("1")).orElse(false);
        Paging paging = Paging.ifAsked(r);
        List<SessionView> items = (paging == null ? chats.list(user, favorites, 0, Integer.MAX_VALUE)
                : chats.list(user, favorites, paging.offset(), paging.pageSize())).stream()
                .map(ChatHistoryApi::sessionView).toList();
        long total = paging == null ? items.size() : chats.count(user, favorites);
        return Paging.withHeaders(ApiResponse.json(items), r, paging, total).async();
    }

    private CompletionStage<ApiResponse> messages(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        long sessionId = positiveLong(r.queryParam("session_id").orElseThrow(
                () -> ServiceException.badRequest("session_id is required")), "session_id");
        long after = r.queryParam("after").map(v -> v.isEmpty() ? 0 : positiveOrZero(v)).orElse(0L);
        boolean limited = r.queryParam("limit").filter(v -> !v.isEmpty()).isPresent();
        int limit = limited ? r.queryInt("limit", 200, 1, 500) : Integer.MAX_VALUE;
        ChatRepository.ChatSession s = chats.find(user, sessionId)
                .orElseThrow(() -> ServiceException.notFound("no such chat"));
        List<ChatRepository.ChatMessage> found = chats.messages(user, sessionId, after, limit);
        List<MessageView> items = found.stream().map(m -> new MessageView(m.role(), m.content(), time(m.createdAt()),
                m.fileType(), m.filePath(), m.id(), m.status())).toList();
        ApiResponse resp = ApiResponse.json(items).withHeader("X-Total-Count", Long.toString(s.messageCount()));
        if (limited && found.size() == limit) {
            resp = resp.withHeader("Link", "<" + r.path() + "?session_id=" + sessionId + "&after="
                    + found.get(found.size() - 1).id() + "&limit=" + limit + ">; rel=\"next\"");
        }
        return resp.async();
    }

    private CompletionStage<ApiResponse> favorite(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        long id = r.pathId("id");
        ChatRepository.ChatSession s = chats.find(user, id).orElseThrow(() -> ServiceException.notFound("no such chat"));
        Boolean wanted = r.body().length == 0 ? null : r.json(Favorite.class).is_favorite();
        boolean value = wanted == null ? !s.favorite() : wanted;
        chats.setFavorite(user, id, value);
        return ApiResponse.json(new FavoriteReply("Favorite status updated", id, value)).async();
    }

    private CompletionStage<ApiResponse> delete(ApiRequest r) {
        long id = r.pathId("id");
        if (!chats.delete(r.requirePrincipal().userId(), id)) {
            throw ServiceException.notFound("no such chat");
        }
        return ApiResponse.json(new Done("Session " + id + " deleted")).async();
    }

    private CompletionStage<ApiResponse> rememberAvatarSession(ApiRequest r) {
        JsonNode sessionId = r.jsonObject().get("sessionid");
        boolean ok = sessionId != null && ((sessionId.isIntegralNumber() && sessionId.canConvertToLong())
                || (sessionId.isTextual() && sessionId.asText().matches("[A-Za-z0-9-]{1,64}")));
        if (!ok) {
            throw ServiceException.badRequest("sessionid must be an integer or an id string of letters, digits and '-'");
        }
        ephemeral.set(avatarSessionKey(r.requirePrincipal().userId()), sessionId.toString(), avatarSessionTtl);
        return new ApiResponse(200, null, new byte[0], Map.of()).async(); // the seed's answer: 200, empty body
    }

    /** Where the caller's avatar session id is kept (raw JSON: a number or a quoted string). */
    public static String avatarSessionKey(String userId) {
        return "user:" + userId + ":avatar_session";
    }

    static SessionView sessionView(ChatRepository.ChatSession s) {
        return new SessionView(s.id(), s.title(), time(s.createdAt()), time(s.updatedAt()), s.messageCount(),
                s.favorite(), s.id(), s.companionId());
    }

    private static String time(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
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

package dev.lectern.http.api;

import dev.lectern.companions.CompanionRepository;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.config.HistoryConfig;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.http.Access;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Paging;
import dev.lectern.http.Router;
import dev.lectern.rooms.RoomPresence;
import dev.lectern.rooms.RoomRepository;
import dev.lectern.signaling.ice.IceServersService;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;

/**
 * Video rooms and their history. A room is created by its owner (from the token), joined over signaling, and ended
 * by its owner or an admin, which writes a session record for every participant. A room nobody ends stops being live
 * after {@code history.roomLiveTtlSeconds}. Rooms, sessions and transcripts of other users are 404, never a leak.
 */
public final class VideoRoomsApi {
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}]");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final RoomRepository rooms;
    private final CompanionRepository companions;
    private final EphemeralStore ephemeral;
    private final IceServersService ice;
    private final HistoryConfig config;
    private final IntSupplier signalingPort;
    private final RoomPresence presence;
    private final Runnable transcriptBarrier;
    private final Clock clock;

    public VideoRoomsApi(RoomRepository rooms, CompanionRepository companions, EphemeralStore ephemeral,
                         IceServersService ice, HistoryConfig config, IntSupplier signalingPort, RoomPresence presence,
                         Runnable transcriptBarrier, Clock clock) {
        this.rooms = rooms;
        this.companions = companions;
        this.ephemeral = ephemeral;
        this.ice = ice;
        this.config = config;
        this.signalingPort = signalingPort;
        this.presence = presence;
        this.transcriptBarrier = transcriptBarrier;
        this.clock = clock;
    }

    record CreateRoom(String companion_id) {}

    public void register(Router.Builder routes) {
        routes.post("/api/video/rooms").access(Access.USER).blocking().json().tag("video").errors(404)
                .summary("Create a video room (owner from the token), optionally with an AI tutor")
                .example(Map.of("companion_id", "ada-math")).handle(this::create);
        routes.get("/api/video/rooms/{id}").access(Access.USER).blocking().tag("video").errors(404)
                .summary("A room's status, participants and times (owner, participants, admins)").handle(this::get);
        routes.delete("/api/video/rooms/{id}").access(Access.USER).blocking().tag("video").errors(403, 404, 409)
                .summary("End a room (owner or admin) and write the session records").handle(this::end);
        routes.get("/api/video/sessions/{user_id}").access(Access.USER).blocking().tag("video").errors(404)
                .summary("A user's video session history, newest first (the user or an admin)")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .handle(this::sessions);
        routes.get("/api/video/sessions/{user_id}/{session_id}/transcript").access(Access.USER).blocking()
                .tag("video").errors(404).summary("The chat transcript of one session (the user or an admin)")
                .handle(this::transcript);
    }

    private CompletionStage<ApiResponse> create(ApiRequest r) {
        Principal p = r.requirePrincipal();
        String companionId = r.body().length == 0 ? null : r.json(CreateRoom.class).companion_id();
        String greeting = null;
        if (companionId != null) {
            var companion = companions.find(companionId).filter(c -> !c.companion().retired())
                    .orElseThrow(() -> ServiceException.notFound("no such tutor: " + companionId)).companion();
            greeting = companion.greeting();
        }
        String roomId = newRoomId();
        long now = clock.millis();
        rooms.createRoom(roomId, p.userId(), companionId, now);
        ephemeral.set(liveKey(roomId), p.userId(), Duration.ofSeconds(config.roomLiveTtlSeconds()));
        Map<String, Object> body = roomView(rooms.findRoom(roomId).orElseThrow(), List.of(p.userId()));
        String host = host(r);
        int port = signalingPort.getAsInt();
        body.put("signaling_url", "http://" + host + ":" + port);
        body.put("signaling_path", "/socket.io/");
        body.put("ws_url", "ws://" + host + ":" + port + "/ws");
        body.put("ice_servers", ice.forUser(p.userId()));
        body.put("greeting", greeting);
        return ApiResponse.json(201, body).async();
    }

    private CompletionStage<ApiResponse> get(ApiRequest r) {
        RoomRepository.Room room = visibleRoom(r);
        return ApiResponse.json(roomView(room, rooms.participants(room.roomId()))).async();
    }

    private CompletionStage<ApiResponse> end(ApiRequest r) {
        Principal p = r.requirePrincipal();
        RoomRepository.Room room = visibleRoom(r);
        if (!p.isAdmin() && !p.userId().equals(room.ownerId())) {
            throw ServiceException.forbidden("only the room's owner or an admin can end it");
        }
        long endedAt = clock.millis();
        transcriptBarrier.run(); // messages sent before the end are counted in the session record
        List<RoomRepository.Session> written = rooms.endRoom(room.roomId(), endedAt);
        if (written.isEmpty()) {
            throw ServiceException.conflict("room already ended");
        }
        ephemeral.delete(liveKey(room.roomId()));
        RoomRepository.Session own = written.stream().filter(s -> s.userId().equals(room.ownerId())).findFirst()
                .orElse(written.get(0));
        return ApiResponse.json(sessionView(own)).async();
    }

    private CompletionStage<ApiResponse> sessions(ApiRequest r) {
        String userId = ownUser(r);
        Paging paging = Paging.of(r);
        var items = rooms.sessionsOf(userId, paging.offset(), paging.pageSize()).stream()
                .map(VideoRoomsApi::sessionView).toList();
        return ApiResponse.json(paging.envelope("sessions", items, rooms.countSessions(userId))).async();
    }

    private CompletionStage<ApiResponse> transcript(ApiRequest r) {
        String userId = ownUser(r);
        long sessionId = r.pathId("session_id");
        RoomRepository.Session s = rooms.findSession(sessionId).filter(x -> x.userId().equals(userId))
                .orElseThrow(() -> ServiceException.notFound("no such session"));
        var messages = rooms.messages(s.roomId(), s.startedAt(), s.endedAt(), 10_000).stream().map(m -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("id", m.id());
            v.put("sender", m.sender());
            v.put("user_id", m.userId());
            v.put("message", m.message());
            v.put("timestamp", Instant.ofEpochMilli(m.createdAt()).toString());
            return v;
        }).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("session_id", s.sessionId());
        body.put("room_id", s.roomId());
        body.put("messages", messages);
        return ApiResponse.json(body).async();
    }

    /** The path's user must be the caller, unless the caller is an admin; otherwise nothing is there to see. */
    private static String ownUser(ApiRequest r) {
        Principal p = r.requirePrincipal();
        String userId = r.pathParam("user_id");
        if (!p.isAdmin() && !p.userId().equals(userId)) {
            throw ServiceException.notFound("no such user history");
        }
        return userId;
    }

    /** The room if the caller owns it, took part in it, or is an admin; 404 otherwise. */
    private RoomRepository.Room visibleRoom(ApiRequest r) {
        Principal p = r.requirePrincipal();
        String roomId = r.pathParam("id");
        RoomRepository.Room room = rooms.findRoom(roomId).orElseThrow(() -> ServiceException.notFound("no such room"));
        if (!p.isAdmin() && !p.userId().equals(room.ownerId()) && !rooms.isParticipant(roomId, p.userId())) {
            throw ServiceException.notFound("no such room");
        }
        return room;
    }

    private Map<String, Object> roomView(RoomRepository.Room room, List<String> participants) {
        String status = room.ended() ? "ended" : ephemeral.exists(liveKey(room.roomId())) ? "active" : "expired";
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("room_id", room.roomId());
        m.put("owner_id", room.ownerId());
        m.put("companion_id", room.companionId());
        m.put("status", status);
        m.put("participants", participants);
        m.put("online", status.equals("active") ? presence.online(room.roomId()) : List.of());
        m.put("created_at", Instant.ofEpochMilli(room.createdAt()).toString());
        m.put("ended_at", room.endedAt() == null ? null : Instant.ofEpochMilli(room.endedAt()).toString());
        return m;
    }

    static Map<String, Object> sessionView(RoomRepository.Session s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("session_id", s.sessionId());
        m.put("room_id", s.roomId());
        m.put("companion_id", s.companionId());
        m.put("started_at", Instant.ofEpochMilli(s.startedAt()).toString());
        m.put("ended_at", Instant.ofEpochMilli(s.endedAt()).toString());
        m.put("duration_seconds", s.durationSeconds());
        m.put("message_count", s.messageCount());
        m.put("transcript_preview", s.transcriptPreview());
        return m;
    }

    /** The room's live marker in the ephemeral store; its TTL is the room's live lifetime. */
    public static String liveKey(String roomId) {
        return "room:live:" + roomId;
    }

    static String newRoomId() {
        byte[] bytes = new byte[9];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The host the client used, without its port, when it is a plain host name or address; else localhost. */
    private static String host(ApiRequest r) {
        String h = r.header("host");
        if (h == null) {
            return "localhost";
        }
        String host = h.startsWith("[") ? h.substring(0, h.indexOf(']') + 1) : h.split(":", 2)[0];
        return HOST.matcher(host).matches() ? host : "localhost";
    }
}

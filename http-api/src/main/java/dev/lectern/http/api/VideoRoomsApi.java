package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lectern.companions.CompanionRepository;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.config.HistoryConfig;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.http.Access;
import dev.lectern.http.GuestAccess;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Paging;
import dev.lectern.http.Router;
import dev.lectern.rooms.RoomAdmission;
import dev.lectern.rooms.RoomPresence;
import dev.lectern.rooms.RoomRepository;
import dev.lectern.signaling.ice.IceServer;
import dev.lectern.signaling.ice.IceServersService;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
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

    /** The body of {@code POST /api/video/rooms}; the seed sends {@code user_id}, which must name the caller. */
    record CreateRoom(@JsonProperty("user_id") String userId, @JsonProperty("companion_id") String companionId) {}

    /**
     * A room: the seed's {@code room_id, user_id, companion_id, status, participants} ({@code user_id} is the owner,
     * also as {@code owner_id}), with who is online now and Lectern's ISO-8601 times.
     */
    record RoomView(@JsonProperty("room_id") String roomId, @JsonProperty("user_id") String userId,
                    @JsonProperty("owner_id") String ownerId, @JsonProperty("companion_id") String companionId,
                    String status, List<String> participants, List<String> online,
                    @JsonProperty("created_at") String createdAt, @JsonProperty("ended_at") String endedAt) {}

    /** A new room, with where to signal and the ICE servers to use. */
    record CreatedRoom(@JsonProperty("room_id") String roomId, @JsonProperty("user_id") String userId,
                       @JsonProperty("owner_id") String ownerId, @JsonProperty("companion_id") String companionId,
                       String status, List<String> participants, List<String> online,
                       @JsonProperty("created_at") String createdAt, @JsonProperty("ended_at") String endedAt,
                       @JsonProperty("signaling_url") String signalingUrl,
                       @JsonProperty("signaling_path") String signalingPath, @JsonProperty("ws_url") String wsUrl,
                       @JsonProperty("ice_servers") List<IceServer> iceServers, String greeting) {}

    /** The seed's session history entry, with the user it belongs to. */
    record SessionView(@JsonProperty("session_id") long sessionId, @JsonProperty("room_id") String roomId,
                       @JsonProperty("user_id") String userId, @JsonProperty("companion_id") String companionId,
                       @JsonProperty("started_at") String startedAt, @JsonProperty("ended_at") String endedAt,
                       @JsonProperty("duration_seconds") long durationSeconds,
                       @JsonProperty("message_count") int messageCount,
                       @JsonProperty("transcript_preview") String transcriptPreview) {}

    /** One page of a user's sessions. */
    record SessionsPage(List<SessionView> sessions, long total, int page, @JsonProperty("page_size") int pageSize) {}

    /**
     * One line of a transcript: the seed's {@code message, sender, timestamp} (epoch seconds) and {@code audio_url}
     * (the tutor's spoken answer; null for people), with its id, the user and the ISO time.
     */
    record TranscriptLine(long id, String sender, @JsonProperty("user_id") String userId, String message,
                          double timestamp, @JsonProperty("created_at") String createdAt,
                          @JsonProperty("audio_url") String audioUrl) {}

    record Transcript(@JsonProperty("session_id") long sessionId, @JsonProperty("room_id") String roomId,
                      List<TranscriptLine> messages) {}

    /** A code that lets one more person into a live room: {@code join {room_id, invite}}. */
    record Invite(@JsonProperty("room_id") String roomId, String invite,
                  @JsonProperty("expires_in_seconds") long expiresInSeconds) {}

    public void register(Router.Builder routes) {
        routes.post("/api/video/rooms").access(Access.USER).blocking().json().tag("video").errors(403, 404)
                .summary("Create a video room (owner from the token, or the guest), optionally with an AI tutor")
                .example(Map.of("user_id", "user123", "companion_id", "ada-math"))
                .request(CreateRoom.class).returns(201, CreatedRoom.class).handle(this::create);
        routes.get("/api/video/rooms/{id}").access(Access.USER).blocking().tag("video").errors(404)
                .summary("A room's status, participants and times (owner, participants, admins)")
                .returns(200, RoomView.class).handle(this::get);
        routes.delete("/api/video/rooms/{id}").access(Access.USER).blocking().tag("video").errors(403, 404, 409)
                .summary("End a room (owner or admin) and write the session records")
                .returns(200, SessionView.class).handle(this::end);
        routes.post("/api/video/rooms/{id}/invites").access(Access.USER).blocking().tag("video").errors(403, 404, 409)
                .summary("An invite code for a live room (owner or admin): join {room_id, invite} lets one more in")
                .returns(201, Invite.class).handle(this::invite);
        routes.get("/api/video/sessions/{user_id}").access(Access.USER).blocking().tag("video").errors(404)
                .summary("A user's video session history, newest first (the user or an admin; a guest: its own)")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .returns(200, SessionsPage.class).handle(this::sessions);
        routes.get("/api/video/sessions/{user_id}/{session_id}/transcript").access(Access.USER).blocking()
                .tag("video").errors(404).summary("The chat transcript of one session (the user or an admin)")
                .returns(200, Transcript.class).handle(this::transcript);
    }

    private CompletionStage<ApiResponse> create(ApiRequest r) {
        Principal p = r.requirePrincipal();
        CreateRoom body = r.body().length == 0 ? new CreateRoom(null, null) : r.json(CreateRoom.class);
        if (body.userId() != null && !body.userId().equals(p.userId()) && !GuestAccess.isGuest(p)) {
            throw ServiceException.forbidden("user_id must name the caller");
        }
        String companionId = body.companionId();
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
        RoomView v = roomView(rooms.findRoom(roomId).orElseThrow(), List.of(p.userId()));
        String host = host(r);
        int port = signalingPort.getAsInt();
        return ApiResponse.json(201, new CreatedRoom(v.roomId(), v.userId(), v.ownerId(), v.companionId(), v.status(),
                v.participants(), v.online(), v.createdAt(), v.endedAt(), "http://" + host + ":" + port,
                "/socket.io/", "ws://" + host + ":" + port + "/ws", ice.forUser(p.userId()), greeting)).async();
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

    private CompletionStage<ApiResponse> invite(ApiRequest r) {
        Principal p = r.requirePrincipal();
        RoomRepository.Room room = visibleRoom(r);
        if (!p.isAdmin() && !p.userId().equals(room.ownerId())) {
            throw ServiceException.forbidden("only the room's owner or an admin can invite");
        }
        Duration left = room.ended() ? null : ephemeral.ttl(liveKey(room.roomId())).orElse(null);
        if (left == null || left.isZero() || left.isNegative()) {
            throw ServiceException.conflict("the room has ended or expired");
        }
        String code = newRoomId() + newRoomId();
        ephemeral.set(RoomAdmission.inviteKey(code), room.roomId(), left);
        return ApiResponse.json(201, new Invite(room.roomId(), code, left.toSeconds())).async();
    }

    private CompletionStage<ApiResponse> sessions(ApiRequest r) {
        String userId = ownUser(r);
        Paging paging = Paging.of(r);
        var items = rooms.sessionsOf(userId, paging.offset(), paging.pageSize()).stream()
                .map(VideoRoomsApi::sessionView).toList();
        return ApiResponse.json(new SessionsPage(items, rooms.countSessions(userId), paging.page(),
                paging.pageSize())).async();
    }

    private CompletionStage<ApiResponse> transcript(ApiRequest r) {
        String userId = ownUser(r);
        long sessionId = r.pathId("session_id");
        RoomRepository.Session s = rooms.findSession(sessionId).filter(x -> x.userId().equals(userId))
                .orElseThrow(() -> ServiceException.notFound("no such session"));
        var messages = rooms.messages(s.roomId(), s.startedAt(), s.endedAt(), 10_000).stream()
                .map(m -> new TranscriptLine(m.id(), m.sender(), m.userId(), m.message(), m.createdAt() / 1000.0,
                        Instant.ofEpochMilli(m.createdAt()).toString(), m.audioUrl()))
                .toList();
        return ApiResponse.json(new Transcript(s.sessionId(), s.roomId(), messages)).async();
    }

    /**
     * The path's user must be the caller, unless the caller is an admin; otherwise nothing is there to see. A guest
     * names itself as the seed's front ends do (any {@code user_id}) and always reads its own history.
     */
    private static String ownUser(ApiRequest r) {
        Principal p = r.requirePrincipal();
        if (GuestAccess.isGuest(p)) {
            return p.userId();
        }
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

    private RoomView roomView(RoomRepository.Room room, List<String> participants) {
        String status = room.ended() ? "ended" : ephemeral.exists(liveKey(room.roomId())) ? "active" : "expired";
        return new RoomView(room.roomId(), room.ownerId(), room.ownerId(), room.companionId(), status, participants,
                status.equals("active") ? presence.online(room.roomId()) : List.of(),
                Instant.ofEpochMilli(room.createdAt()).toString(),
                room.endedAt() == null ? null : Instant.ofEpochMilli(room.endedAt()).toString());
    }

    static SessionView sessionView(RoomRepository.Session s) {
        return new SessionView(s.sessionId(), s.roomId(), s.userId(), s.companionId(),
                Instant.ofEpochMilli(s.startedAt()).toString(), Instant.ofEpochMilli(s.endedAt()).toString(),
                s.durationSeconds(), s.messageCount(), s.transcriptPreview());
    }

    /** The room's live marker in the ephemeral store; its TTL is the room's live lifetime. */
    public static String liveKey(String roomId) {
        return RoomRepository.liveKey(roomId);
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

package dev.lectern.http.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.companions.CompanionCatalogFile;
import dev.lectern.companions.CompanionRepository;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.history.ChatRepository;
import dev.lectern.http.AuthDecorator;
import dev.lectern.http.BlockingExecutor;
import dev.lectern.http.HttpApp;
import dev.lectern.http.HttpEdgeInitializer;
import dev.lectern.http.Router;
import dev.lectern.rooms.RoomPresence;
import dev.lectern.rooms.RoomRepository;
import dev.lectern.signaling.ice.IceServersService;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Companions, video rooms, sessions, transcripts and chats over the real dispatcher and a SQLite store. */
class HistoryApiTest {
    private static final Map<String, Principal> TOKENS = Map.of(
            "t-ann", new Principal("ann", Role.STUDENT, "j1"),
            "t-bob", new Principal("bob", Role.STUDENT, "j2"),
            "t-tess", new Principal("tess", Role.TUTOR, "j3"),
            "t-tom", new Principal("tom", Role.TUTOR, "j4"),
            "t-root", new Principal("root", Role.ADMIN, "j5"));

    @TempDir
    Path data;

    private SqlDatabase db;
    private InMemoryEphemeralStore ephemeral;
    private BlockingExecutor blocking;
    private RoomRepository rooms;
    private EmbeddedChannel ch;

    @BeforeEach
    void start() {
        ServerConfig config = TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString()));
        db = new SqlDatabase(config.storage(), null);
        ephemeral = new InMemoryEphemeralStore();
        blocking = new BlockingExecutor(2, 50);
        Clock clock = Clock.systemUTC();
        CompanionRepository companions = new CompanionRepository(db, clock);
        companions.seed(CompanionCatalogFile.load(TestConfigs.home().resolve(config.history().companionsFile())));
        rooms = new RoomRepository(db);
        Router.Builder routes = Router.builder();
        new CompanionsApi(companions).register(routes);
        new VideoRoomsApi(rooms, companions, ephemeral, new IceServersService(config.ice(), new Secrets(Map.of()), clock),
                config.history(), () -> 8081, RoomPresence.NONE, () -> { }, clock).register(routes);
        new ChatHistoryApi(new ChatRepository(db, clock), companions, ephemeral, Duration.ofHours(2)).register(routes);
        HttpApp app = new HttpApp(config.http(), routes.build(), List.of(new AuthDecorator(token -> {
            Principal p = TOKENS.get(token);
            return p != null ? CompletableFuture.completedFuture(p)
                    : CompletableFuture.failedFuture(new InvalidTokenException("invalid token"));
        })), blocking, new SimpleMeterRegistry());
        ch = new EmbeddedChannel();
        HttpEdgeInitializer.addTo(ch.pipeline(), app);
    }

    @AfterEach
    void stop() {
        assertThat(ch.finishAndReleaseAll()).isFalse();
        blocking.close();
        ephemeral.close();
        db.close();
    }

    private record Reply(int status, JsonNode body) {}

    private Reply call(String token, HttpMethod method, String uri, String json) throws Exception {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                json == null ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(json, UTF_8));
        if (json != null) {
            req.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, req.content().readableBytes());
        }
        if (token != null) {
            req.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        ch.writeInbound(req);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> {
            ch.runPendingTasks();
            return !ch.outboundMessages().isEmpty();
        });
        FullHttpResponse r = ch.readOutbound();
        try {
            String text = r.content().toString(UTF_8);
            return new Reply(r.status().code(), text.isEmpty() ? null : Json.MAPPER.readTree(text));
        } finally {
            r.release();
        }
    }

    @Test
    void companionsCatalogueFilterAndPermissions() throws Exception {
        Reply all = call("t-ann", HttpMethod.GET, "/api/companions", null);
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.body().get("total").asInt()).isEqualTo(4);
        Reply math = call("t-ann", HttpMethod.GET, "/api/companions?subject=Mathematics&page_size=1", null);
        assertThat(math.body().get("companions")).hasSize(1);
        assertThat(math.body().get("companions").get(0).get("id").asText()).isEqualTo("ada-math");
        assertThat(call("t-ann", HttpMethod.GET, "/api/companions?page_size=1000", null).status()).isEqualTo(400);
        assertThat(call(null, HttpMethod.GET, "/api/companions", null).status()).isEqualTo(401);
        assertThat(call("t-ann", HttpMethod.GET, "/api/companions/nobody", null).status()).isEqualTo(404);

        String kim = "{\"id\":\"kim-chem\",\"name\":\"Kim\",\"subject\":\"chemistry\",\"persona\":\"You teach chemistry\","
                + "\"voice\":\"\",\"avatar\":\"\",\"greeting\":\"Hi\"}";
        assertThat(call("t-ann", HttpMethod.POST, "/api/companions", kim).status()).isEqualTo(403);
        assertThat(call("t-tess", HttpMethod.POST, "/api/companions", kim).status()).isEqualTo(201);
        assertThat(call("t-tess", HttpMethod.POST, "/api/companions", kim).status()).isEqualTo(409);
        assertThat(call("t-tess", HttpMethod.POST, "/api/companions", kim.replace("kim-chem", "../x")).status())
                .isEqualTo(400);
        String edited = kim.replace("You teach chemistry", "Edited");
        assertThat(call("t-tom", HttpMethod.PUT, "/api/companions/kim-chem", edited).status())
                .as("another tutor may not edit it").isEqualTo(403);
        assertThat(call("t-tess", HttpMethod.PUT, "/api/companions/kim-chem", edited).body().get("persona").asText())
                .isEqualTo("Edited");
        assertThat(call("t-root", HttpMethod.DELETE, "/api/companions/kim-chem", null).status()).isEqualTo(204);
        assertThat(call("t-ann", HttpMethod.GET, "/api/companions?subject=chemistry", null).body().get("total").asInt())
                .isZero();
    }

    @Test
    void roomLifecycleHistoryAndTranscriptAreOwnerScoped() throws Exception {
        Reply created = call("t-ann", HttpMethod.POST, "/api/video/rooms", "{\"companion_id\":\"ada-math\"}");
        assertThat(created.status()).isEqualTo(201);
        String roomId = created.body().get("room_id").asText();
        assertThat(roomId).matches("[A-Za-z0-9_-]{12}");
        assertThat(created.body().get("owner_id").asText()).isEqualTo("ann");
        assertThat(created.body().get("status").asText()).isEqualTo("active");
        assertThat(created.body().get("ice_servers").get(0).get("urls")).isNotEmpty();
        assertThat(created.body().get("ws_url").asText()).endsWith(":8081/ws");
        assertThat(call("t-ann", HttpMethod.POST, "/api/video/rooms", "{\"companion_id\":\"nobody\"}").status())
                .isEqualTo(404);

        // what the signaling layer records while the call runs
        rooms.recordParticipant(roomId, "bob", System.currentTimeMillis());
        rooms.appendMessage(roomId, "ann", "Ann", "Can you see me?", System.currentTimeMillis());
        rooms.appendMessage(roomId, "bob", "Bob", "Yes!", System.currentTimeMillis());

        assertThat(call("t-bob", HttpMethod.GET, "/api/video/rooms/" + roomId, null).body().get("participants"))
                .hasSize(2);
        assertThat(call("t-tess", HttpMethod.GET, "/api/video/rooms/" + roomId, null).status()).isEqualTo(404);
        assertThat(call("t-bob", HttpMethod.DELETE, "/api/video/rooms/" + roomId, null).status()).isEqualTo(403);
        Reply ended = call("t-ann", HttpMethod.DELETE, "/api/video/rooms/" + roomId, null);
        assertThat(ended.status()).isEqualTo(200);
        assertThat(ended.body().get("message_count").asInt()).isEqualTo(2);
        assertThat(ended.body().get("transcript_preview").asText()).startsWith("Ann: Can you see me?");
        assertThat(call("t-ann", HttpMethod.DELETE, "/api/video/rooms/" + roomId, null).status()).isEqualTo(409);
        assertThat(call("t-ann", HttpMethod.GET, "/api/video/rooms/" + roomId, null).body().get("status").asText())
                .isEqualTo("ended");

        Reply bobs = call("t-bob", HttpMethod.GET, "/api/video/sessions/bob", null);
        assertThat(bobs.body().get("total").asInt()).isEqualTo(1);
        long bobSession = bobs.body().get("sessions").get(0).get("session_id").asLong();
        Reply transcript = call("t-bob", HttpMethod.GET, "/api/video/sessions/bob/" + bobSession + "/transcript", null);
        assertThat(transcript.body().get("messages")).extracting(m -> m.get("message").asText())
                .containsExactly("Can you see me?", "Yes!");
        // cross-user: 404 everywhere, even with a real session id; admins see all
        assertThat(call("t-ann", HttpMethod.GET, "/api/video/sessions/bob", null).status()).isEqualTo(404);
        assertThat(call("t-ann", HttpMethod.GET, "/api/video/sessions/ann/" + bobSession + "/transcript", null)
                .status()).isEqualTo(404);
        assertThat(call("t-ann", HttpMethod.GET, "/api/video/sessions/bob/" + bobSession + "/transcript", null)
                .status()).isEqualTo(404);
        assertThat(call("t-root", HttpMethod.GET, "/api/video/sessions/bob/" + bobSession + "/transcript", null)
                .status()).isEqualTo(200);
        assertThat(call("t-bob", HttpMethod.GET, "/api/video/sessions/bob/abc/transcript", null).status())
                .isEqualTo(404);
    }

    @Test
    void liveStateExpiresButHistoryStays() throws Exception {
        String roomId = call("t-ann", HttpMethod.POST, "/api/video/rooms", "{}").body().get("room_id").asText();
        ephemeral.delete(VideoRoomsApi.liveKey(roomId)); // what the TTL does after roomLiveTtlSeconds
        assertThat(call("t-ann", HttpMethod.GET, "/api/video/rooms/" + roomId, null).body().get("status").asText())
                .isEqualTo("expired");
        assertThat(call("t-ann", HttpMethod.DELETE, "/api/video/rooms/" + roomId, null).status()).isEqualTo(200);
    }

    @Test
    void chatHistoryIsPerUser() throws Exception {
        Reply created = call("t-ann", HttpMethod.POST, "/api/chat/new", "{\"title\":\"Fractions\",\"companion_id\":\"ada-math\"}");
        assertThat(created.status()).isEqualTo(201);
        long id = created.body().get("session_id").asLong();
        assertThat(call("t-ann", HttpMethod.POST, "/api/chat/new", "{\"title\":\"" + "x".repeat(201) + "\"}").status())
                .isEqualTo(400);
        assertThat(call("t-ann", HttpMethod.POST, "/api/chat/new", "{\"title\":5}").status()).isEqualTo(400);

        Reply history = call("t-ann", HttpMethod.GET, "/api/chat/history", null);
        assertThat(history.body().isArray()).isTrue();
        assertThat(history.body().get(0).get("id").asLong()).isEqualTo(id);
        assertThat(history.body().get(0).get("message_count").asInt()).isZero();
        Reply messages = call("t-ann", HttpMethod.GET, "/api/message/list?session_id=" + id, null);
        assertThat(messages.body().isArray()).isTrue();
        assertThat(messages.body()).isEmpty();
        assertThat(call("t-bob", HttpMethod.GET, "/api/message/list?session_id=" + id, null).status()).isEqualTo(404);
        assertThat(call("t-ann", HttpMethod.GET, "/api/message/list?session_id=x", null).status()).isEqualTo(400);
        assertThat(call("t-ann", HttpMethod.GET, "/api/message/list", null).status()).isEqualTo(400);

        assertThat(call("t-bob", HttpMethod.POST, "/api/chat/" + id + "/favorite", null).status()).isEqualTo(404);
        assertThat(call("t-ann", HttpMethod.POST, "/api/chat/" + id + "/favorite", null).body().get("is_favorite")
                .asBoolean()).isTrue();
        assertThat(call("t-ann", HttpMethod.POST, "/api/chat/" + id + "/favorite", "{\"is_favorite\":true}").body()
                .get("is_favorite").asBoolean()).isTrue();
        assertThat(call("t-ann", HttpMethod.GET, "/api/chat/history?favorites=true", null).body()).hasSize(1);
        assertThat(call("t-bob", HttpMethod.DELETE, "/api/chat/" + id, null).status()).isEqualTo(404);
        Reply deleted = call("t-ann", HttpMethod.DELETE, "/api/chat/" + id, null);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.body().get("msg").asText()).isEqualTo("Session " + id + " deleted");
        assertThat(call("t-ann", HttpMethod.GET, "/api/chat/history", null).body()).isEmpty();
    }

    @Test
    void avatarSessionIdIsKeptRawAndValidated() throws Exception {
        assertThat(call("t-ann", HttpMethod.POST, "/api/sessionid", "{\"sessionid\":123456}").status()).isEqualTo(200);
        assertThat(ephemeral.get(ChatHistoryApi.avatarSessionKey("ann"))).contains("123456");
        call("t-ann", HttpMethod.POST, "/api/sessionid", "{\"sessionid\":\"6f1c2e9a-3b1d-4c52-9d0e-1a2b3c4d5e6f\"}");
        assertThat(ephemeral.get(ChatHistoryApi.avatarSessionKey("ann")))
                .contains("\"6f1c2e9a-3b1d-4c52-9d0e-1a2b3c4d5e6f\"");
        assertThat(call("t-ann", HttpMethod.POST, "/api/sessionid", "{\"sessionid\":{\"x\":1}}").status()).isEqualTo(400);
        assertThat(call("t-ann", HttpMethod.POST, "/api/sessionid", "{\"sessionid\":\"../../etc\"}").status())
                .isEqualTo(400);
    }
}

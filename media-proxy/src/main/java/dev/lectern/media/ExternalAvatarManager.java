package dev.lectern.media;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.media.livetalking.LiveTalkingClient;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For deployments that already run an avatar manager on the avatar host: the same operations, forwarded to its HTTP
 * API as the Virtual Tutor seed's backend speaks it: {@code POST {externalUrl}/avatar/start {avatar_id:
 * "{avatar}_user_{user}", avatar_name}} → {@code {port, gpu?, connections?, is_new_instance?, instance_id?}},
 * {@code POST {externalUrl}/avatar/disconnect {avatar_name}} when the user leaves or switches avatar, and
 * {@code GET {externalUrl}/health} for {@code /api/health}. Lectern adds {@code user_id} beside the documented fields.
 * Errors in LiveTalking's envelope ({@code {"code":-1,"msg"}}), {@code {"status":"error"}} or HTTP errors become
 * {@link AvatarException.Kind#UPSTREAM}. The proxy still
 * reaches only 127.0.0.1 and only ports inside {@code avatars.portRangeStart..portRangeEnd}: a port outside the range
 * is refused, so a confused or hostile manager cannot turn the proxy into an open one.
 */
public final class ExternalAvatarManager implements AvatarService {
    private static final Logger logger = LoggerFactory.getLogger(ExternalAvatarManager.class);

    private final AvatarsConfig config;
    private final EphemeralStore store;
    private final Executor storeExecutor;
    private final String baseUrl;
    /** The process's shared HTTP client (not closed here). */
    private final AsyncHttpClient http;
    private final Map<String, Held> byUser = new ConcurrentHashMap<>();

    /** A user's instance: where the proxy goes, and the avatar to name when it is released. */
    private record Held(String avatarName, ProxyTarget.Ready target) {}
    private final List<Consumer<AvatarEvent>> listeners = new CopyOnWriteArrayList<>();

    /**
     * @param storeExecutor where ephemeral-store writes run (they may block on Redis)
     * @param http the process's shared HTTP client
     */
    public ExternalAvatarManager(AvatarsConfig config, EphemeralStore store, Executor storeExecutor,
            AsyncHttpClient http) {
        this.config = config;
        this.store = store;
        this.storeExecutor = storeExecutor;
        this.baseUrl = config.externalUrl().endsWith("/")
                ? config.externalUrl().substring(0, config.externalUrl().length() - 1) : config.externalUrl();
        this.http = http;
    }

    @Override
    public List<AvatarsConfig.Avatar> catalogue() {
        return config.catalogue();
    }

    @Override
    public void addListener(Consumer<AvatarEvent> listener) {
        listeners.add(listener); // the external manager watches its own processes; no events come from here
    }

    @Override
    public CompletionStage<AvatarAssignment> start(String userId, String avatarName) {
        AvatarsConfig.Avatar avatar;
        try {
            avatar = Catalogue.require(config, avatarName);
        } catch (AvatarException e) {
            return CompletableFuture.failedFuture(e);
        }
        return start(userId, avatar);
    }

    @Override
    public CompletionStage<AvatarAssignment> start(String userId, AvatarsConfig.Avatar avatar) {
        String avatarName = avatar.name();
        Held old = byUser.get(userId);
        CompletionStage<?> released = CompletableFuture.completedFuture(null);
        if (old != null && !old.avatarName().equals(avatarName)) { // switching: the old one loses a connection first
            byUser.remove(userId, old);
            released = post("/avatar/disconnect", disconnectBody(userId, old.avatarName()))
                    .handle((json, err) -> null);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("avatar_id", instanceName(avatarName, userId));
        body.put("avatar_name", avatarName);
        body.put("user_id", userId);
        return released.thenCompose(x -> post("/avatar/start", body)).thenApply(json -> {
            JsonNode port = json.get("port");
            if (port == null || !port.isIntegralNumber()) {
                throw upstream("the avatar manager did not say which port the avatar uses");
            }
            int p = port.intValue();
            if (p < config.portRangeStart() || p > config.portRangeEnd()) {
                logger.warn("external avatar manager answered port {} outside {}-{}; refused", p,
                        config.portRangeStart(), config.portRangeEnd());
                throw upstream("the avatar manager answered a port outside avatars.portRangeStart-portRangeEnd");
            }
            String instanceId = text(json, "instance_id", instanceName(avatarName, userId));
            byUser.put(userId, new Held(avatarName, new ProxyTarget.Ready(p, instanceId)));
            Map<String, Object> mapping = new LinkedHashMap<>();
            mapping.put("instance_id", instanceId);
            mapping.put("avatar", avatarName);
            mapping.put("host", "127.0.0.1");
            mapping.put("port", p);
            mapping.put("state", "ready");
            String value = Json.write(mapping);
            storeWrite(() -> store.hset(USERS_KEY, userId, value));
            JsonNode gpu = json.get("gpu");
            return new AvatarAssignment(avatarName, instanceId, p,
                    gpu == null || gpu.isNull() ? null : gpu.asText(),
                    json.path("connections").asInt(1), json.path("is_new_instance").asBoolean(false));
        });
    }

    /** The seed's instance id of a user's avatar: {@code {avatar}_user_{user}}. */
    static String instanceName(String avatarName, String userId) {
        return avatarName + "_user_" + userId;
    }

    private static Map<String, Object> disconnectBody(String userId, String avatarName) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("avatar_name", avatarName);
        body.put("avatar_id", instanceName(avatarName, userId));
        body.put("user_id", userId);
        return body;
    }

    @Override
    public CompletionStage<Boolean> disconnect(String userId) {
        Held held = byUser.remove(userId);
        if (held == null) {
            return CompletableFuture.completedFuture(false);
        }
        storeWrite(() -> store.hdel(USERS_KEY, userId));
        return post("/avatar/disconnect", disconnectBody(userId, held.avatarName())).thenApply(json -> true);
    }

    @Override
    public java.util.Optional<String> currentAvatar(String userId) {
        return java.util.Optional.ofNullable(byUser.get(userId)).map(Held::avatarName);
    }

    @Override
    public ProxyTarget target(String userId) {
        Held h = byUser.get(userId);
        return h == null ? ProxyTarget.NONE : h.target();
    }

    private CompletionStage<JsonNode> post(String path, Object body) {
        CompletableFuture<Response> f;
        try {
            f = http.preparePost(baseUrl + path).setHeader("Content-Type", "application/json")
                    .setBody(Json.writeBytes(body)).setRequestTimeout(Duration.ofMillis(config.readyTimeoutMillis()))
                    .execute().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(upstream("the avatar manager is not reachable"));
        }
        return f.handle((r, err) -> {
            if (err != null) {
                logger.warn("external avatar manager {}{} failed: {}", baseUrl, path, err.toString());
                throw upstream("the avatar manager is not reachable");
            }
            if (r.getStatusCode() < 200 || r.getStatusCode() > 299) {
                throw upstream("the avatar manager answered HTTP " + r.getStatusCode());
            }
            JsonNode json;
            try {
                json = Json.MAPPER.readTree(r.getResponseBodyAsBytes());
            } catch (IOException e) {
                json = null;
            }
            if (json == null || !json.isObject()) {
                throw upstream("the avatar manager sent an unreadable answer");
            }
            String refusal = LiveTalkingClient.refusal(json);
            if (refusal == null && json.path("status").asText("").matches("error|failed|fail")) {
                refusal = json.path("message").asText(json.path("error").asText(""));
            }
            if (refusal != null) {
                throw upstream("the avatar manager refused: "
                        + (refusal.isEmpty() ? "no reason given" : refusal.substring(0, Math.min(200, refusal.length()))));
            }
            return json;
        });
    }

    private static String text(JsonNode json, String field, String fallback) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        String s = n.asText();
        return s.length() > 200 ? s.substring(0, 200) : s;
    }

    private static AvatarException upstream(String message) {
        return new AvatarException(AvatarException.Kind.UPSTREAM, message);
    }

    private void storeWrite(Runnable write) {
        storeExecutor.execute(() -> {
            try {
                write.run();
            } catch (RuntimeException e) {
                logger.warn("avatar mapping not written to the ephemeral store: {}", e.toString());
            }
        });
    }

    /**
     * Up when the external manager's {@code GET /health} answers 2xx (blocking; {@code /api/health} runs it off the
     * event loop).
     */
    @Override
    public HealthStatus check() {
        try {
            Response r = http.prepareGet(baseUrl + "/health")
                    .setRequestTimeout(Duration.ofMillis(config.connectTimeoutMillis())).execute().get();
            if (r.getStatusCode() < 200 || r.getStatusCode() > 299) {
                return HealthStatus.down("external manager /health answered HTTP " + r.getStatusCode());
            }
            return HealthStatus.up("external manager answers (HTTP " + r.getStatusCode() + " on /health)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return HealthStatus.down("interrupted");
        } catch (java.util.concurrent.ExecutionException | RuntimeException e) {
            return HealthStatus.down("external manager not reachable");
        }
    }

    /** Nothing to release here (the HTTP client is the process's); the external manager keeps its instances. */
    @Override
    public void close() {
    }
}

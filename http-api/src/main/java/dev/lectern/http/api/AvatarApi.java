package dev.lectern.http.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.avatars.AvatarCatalogue;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.util.Futures;
import dev.lectern.http.Access;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import dev.lectern.http.multipart.MultipartForm;
import dev.lectern.http.multipart.MultipartLimits;
import dev.lectern.http.multipart.MultipartUploadHandler;
import dev.lectern.http.netty.AvatarProxyTunnel;
import dev.lectern.http.Tunnel;
import dev.lectern.media.AvatarAssignment;
import dev.lectern.media.AvatarException;
import dev.lectern.media.proxy.internal.AvatarProxy;
import dev.lectern.media.AvatarService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Avatars: the catalogue, starting and releasing a user's instance, and the proxy {@code /api/webrtc/{path}} to it.
 * The proxy reaches only 127.0.0.1 at the port of the caller's own ready instance, inside the configured range.
 */
public final class AvatarApi {
    public static final String WEBRTC_PREFIX = "/api/webrtc/";

    private final AvatarsConfig config;
    private final AvatarService avatars;
    private final AvatarCatalogue catalogue;
    private final AvatarProxy proxy;
    private final MultipartLimits uploadLimits;
    private final Executor blocking;

    /**
     * @param uploadLimits the limits of {@code POST /api/avatar/add} (two files)
     * @param blocking     where the add's object-store and SQL work runs
     */
    public AvatarApi(AvatarsConfig config, AvatarService avatars, AvatarCatalogue catalogue, AvatarProxy proxy,
                     MultipartLimits uploadLimits, Executor blocking) {
        this.config = config;
        this.avatars = avatars;
        this.catalogue = catalogue;
        this.proxy = proxy;
        this.uploadLimits = uploadLimits;
        this.blocking = blocking;
    }

    public void register(Router.Builder routes) {
        routes.get("/api/avatar/list").blocking().tag("avatars")
                .summary("The avatars users can pick: name, description, status, voice, TTS model, avatar model,"
                        + " cloning, and whether it is configured or was added through the API")
                .handle(r -> ApiResponse.json(Map.of("avatars", list())).async());
        routes.post("/api/avatar/preview").access(Access.USER).json().blocking().tag("avatars")
                .summary("The avatar's face: its PNG or JPEG image")
                .example(Map.of("avatar_name", "tutor-anna"))
                .errors(400, 401, 404)
                .handle(this::preview);
        routes.post("/api/avatar/add").access(Access.TUTOR).tag("avatars").consumes("multipart/form-data")
                .summary("Add an avatar (tutors and admins): multipart with avatar_name, description?, prompt_face (PNG or"
                        + " JPEG) and prompt_voice (WAV, MP3 or M4A), kept in the object store")
                .errors(400, 401, 403, 409, 413, 415)
                .tunnel(r -> new MultipartUploadHandler(r, uploadLimits, blocking, this::add));
        routes.post("/api/avatar/delete").access(Access.TUTOR).json().blocking().tag("avatars")
                .summary("Delete an avatar added through the API (the tutor who added it, or an admin); configured"
                        + " avatars and avatars in use cannot be deleted")
                .example(Map.of("avatar_name", "my-avatar"))
                .errors(400, 401, 403, 404, 409)
                .handle(this::delete);
        routes.post("/api/avatar/start").access(Access.USER).json().blocking().tag("avatars")
                .summary("Start (or join) the caller's avatar instance; answers once it is ready")
                .example(Map.of("avatar_name", "tutor-anna"))
                .errors(400, 401, 404, 409, 502, 503, 504)
                .handle(this::start);
        routes.post("/api/avatar/disconnect").access(Access.USER).blocking().tag("avatars")
                .summary("Release the caller's avatar instance")
                .handle(r -> avatars.disconnect(r.requirePrincipal().userId()).thenApply(had ->
                        ApiResponse.json(Map.of("status", had ? "disconnected" : "not_connected"))));
        Tunnel proxyRoute = new AvatarProxyTunnel(avatars, config, proxy); // both methods: a handler serves either
        for (String method : List.of("GET", "POST")) {
            Router.RouteBuilder b = method.equals("GET") ? routes.get(WEBRTC_PREFIX + "{path}")
                    : routes.post(WEBRTC_PREFIX + "{path}");
            b.access(Access.USER).tag("avatars")
                    .summary("Proxy to the caller's avatar instance (LiveTalking API: offer, human, interrupt_talk,"
                            + " is_speaking, …); 502/504 when it is down or slow")
                    .errors(401, 404, 409, 502, 503, 504)
                    .tunnel(proxyRoute);
        }
    }

    private List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (AvatarCatalogue.Entry e : catalogue.list()) {
            out.add(view(e));
        }
        return out;
    }

    private static Map<String, Object> view(AvatarCatalogue.Entry e) {
        AvatarsConfig.Avatar a = e.avatar();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", a.name());
        m.put("description", a.description());
        m.put("status", a.status());
        m.put("voice", a.voice());
        m.put("timbre", a.voice());
        m.put("tts_model", a.ttsModel());
        m.put("avatar_model", a.avatarModel());
        m.put("support_clone", a.supportsClone());
        m.put("source", e.configured() ? "configured" : "added");
        return m;
    }

    /** The {@code avatar_name} field of a JSON body: a non-blank string. */
    private static String avatarName(ApiRequest r) {
        JsonNode name = r.jsonObject().get("avatar_name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            throw ServiceException.badRequest("field 'avatar_name' is missing or not a string");
        }
        if (name.asText().length() > 64) {
            throw ServiceException.notFound("no avatar named that");
        }
        return name.asText();
    }

    private CompletionStage<ApiResponse> preview(ApiRequest r) {
        AvatarCatalogue.Image image = catalogue.preview(avatarName(r));
        return ApiResponse.bytes(200, image.contentType(), image.bytes())
                .withHeader("Cache-Control", "private, max-age=300").async();
    }

    private CompletionStage<ApiResponse> add(ApiRequest r, MultipartForm form) {
        Principal caller = r.requirePrincipal();
        MultipartForm.FilePart face = onePart(form, "prompt_face");
        MultipartForm.FilePart voice = onePart(form, "prompt_voice");
        String name = form.field("avatar_name").map(String::strip).orElse(null);
        String description = form.field("description").orElse("");
        return CompletableFuture.supplyAsync(() -> {
            AvatarCatalogue.Entry e = catalogue.add(name, description, face.file(), voice.file(), caller);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "added");
            body.put("avatar", view(e));
            return ApiResponse.json(201, body);
        }, blocking);
    }

    private static MultipartForm.FilePart onePart(MultipartForm form, String field) {
        List<MultipartForm.FilePart> parts = form.files(field);
        if (parts.size() != 1) {
            throw ServiceException.badRequest("exactly one file '" + field + "' is required");
        }
        return parts.get(0);
    }

    private CompletionStage<ApiResponse> delete(ApiRequest r) {
        String name = avatarName(r);
        catalogue.delete(name, r.requirePrincipal());
        return ApiResponse.json(Map.of("status", "deleted", "avatar_name", name)).async();
    }

    private CompletionStage<ApiResponse> start(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        String name = avatarName(r);
        // a configured name goes by name (so a switched-off one is refused); an added one is looked up here
        CompletionStage<AvatarAssignment> started = catalogue.find(name)
                .filter(e -> !e.configured())
                .map(e -> avatars.start(user, e.avatar()))
                .orElseGet(() -> avatars.start(user, name));
        return started.handle((a, err) -> {
            if (err != null) {
                throw toApi(err);
            }
            return ApiResponse.json(assignment(a));
        });
    }

    static Map<String, Object> assignment(AvatarAssignment a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "ready");
        m.put("avatar_id", a.avatarName());
        m.put("instance_id", a.instanceId());
        m.put("port", a.port());
        m.put("webrtc_url", WEBRTC_PREFIX + "offer");
        m.put("gpu", a.gpu());
        m.put("connections", a.connections());
        m.put("is_new_instance", a.newInstance());
        return m;
    }

    private static RuntimeException toApi(Throwable err) {
        Throwable t = Futures.unwrap(err);
        if (t instanceof AvatarException e) {
            String code = switch (e.kind()) {
                case UNKNOWN_AVATAR -> "not_found";
                case INACTIVE -> "conflict";
                case NO_CAPACITY, SHUTTING_DOWN -> "service_unavailable";
                case START_FAILED, UPSTREAM -> "bad_gateway";
                case NOT_READY -> "gateway_timeout";
            };
            return new ServiceException(e.kind().httpStatus(), code, e.getMessage());
        }
        return t instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(t);
    }
}

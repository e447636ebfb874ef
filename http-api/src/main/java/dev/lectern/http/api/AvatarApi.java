package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonProperty;
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
import dev.lectern.http.Types;
import dev.lectern.http.multipart.MultipartFieldDecoder;
import dev.lectern.media.AvatarAssignment;
import dev.lectern.media.AvatarException;
import dev.lectern.media.proxy.internal.AvatarProxy;
import dev.lectern.media.AvatarService;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

    /**
     * One entry of {@code GET /api/avatar/list}, keyed there by its name: the seed's fields ({@code clone, description,
     * status, timbre, tts_model, avatar_model}), then Lectern's ({@code name, voice, support_clone, source}).
     */
    public record AvatarView(@JsonProperty("clone") boolean cloning, String description, String status, String timbre,
                             @JsonProperty("tts_model") String ttsModel,
                             @JsonProperty("avatar_model") String avatarModel,
                             String name, String voice, @JsonProperty("support_clone") boolean supportClone,
                             String source) {}

    /** A JSON body naming an avatar: {@code avatar_name} (start, preview) or {@code name} (the seed's add/delete). */
    public record NameBody(@JsonProperty("avatar_name") String avatarName, String name) {}

    /** {@code POST /api/avatar/start}: the seed's fields, then {@code instance_id} and {@code avatar_name}. */
    public record Started(String status, @JsonProperty("avatar_id") String avatarId, int port,
                          @JsonProperty("webrtc_url") String webrtcUrl, Integer gpu, int connections,
                          @JsonProperty("is_new_instance") boolean isNewInstance, String message,
                          @JsonProperty("instance_id") String instanceId,
                          @JsonProperty("avatar_name") String avatarName) {}

    /** {@code disconnect}, {@code add} and {@code delete}: {@code {status:"success", message, …}}. */
    public record Done(String status, String message, @JsonProperty("avatar_name") String avatarName,
                       AvatarView avatar) {}

    public void register(Router.Builder routes) {
        routes.get("/api/avatar/list").blocking().tag("avatars")
                .summary("The avatars users can pick, keyed by name: clone, description, status, timbre (voice),"
                        + " tts_model, avatar_model, and whether it is configured or was added through the API")
                .returns(200, Types.mapOf(AvatarView.class))
                .handle(r -> ApiResponse.json(list()).async());
        routes.post("/api/avatar/preview").access(Access.USER).consumes(FORMS).blocking().tag("avatars")
                .summary("The avatar's face: its PNG or JPEG image (multipart, form or JSON avatar_name)")
                .example(Map.of("avatar_name", "tutor-anna"))
                .request(NameBody.class)
                .returns(200, Types.either(Types.media("image/png"), Types.media("image/jpeg")))
                .errors(400, 401, 404)
                .handle(this::preview);
        routes.post("/api/avatar/add").access(Access.TUTOR).tag("avatars").consumes("multipart/form-data")
                .summary("Add an avatar (tutors and admins): multipart with name (or avatar_name), description?,"
                        + " prompt_face (PNG or JPEG) and prompt_voice (WAV, MP3 or M4A), kept in the object store;"
                        + " the seed's avatar_blur, support_clone, timbre, tts_model and avatar_model are accepted")
                .returns(200, Done.class)
                .errors(400, 401, 403, 409, 413, 415)
                .tunnel(r -> new MultipartUploadHandler(r, uploadLimits, blocking, this::add));
        routes.post("/api/avatar/delete").access(Access.TUTOR).consumes(FORMS).blocking().tag("avatars")
                .summary("Delete an avatar added through the API (the tutor who added it, or an admin); configured"
                        + " avatars and avatars in use cannot be deleted")
                .example(Map.of("name", "my-avatar"))
                .request(NameBody.class)
                .returns(200, Done.class)
                .errors(400, 401, 403, 404, 409)
                .handle(this::delete);
        routes.post("/api/avatar/start").access(Access.USER).consumes(FORMS).blocking().tag("avatars")
                .summary("Start (or join) the caller's avatar instance; answers once it is ready. Without a free"
                        + " slot the caller waits in line (avatars.maxWaiting, avatars.maxWaitMillis), then 503 with"
                        + " Retry-After")
                .example(Map.of("avatar_name", "tutor-anna"))
                .request(NameBody.class)
                .returns(200, Started.class)
                .errors(400, 401, 404, 409, 502, 503, 504)
                .handle(this::start);
        routes.post("/api/avatar/disconnect").access(Access.USER).blocking().tag("avatars")
                .summary("Release the caller's avatar instance")
                .returns(200, Done.class)
                .handle(this::disconnect);
        Tunnel proxyRoute = new AvatarProxyTunnel(avatars, config, proxy); // both methods: a handler serves either
        for (String method : List.of("GET", "POST")) {
            Router.RouteBuilder b = method.equals("GET") ? routes.get(WEBRTC_PREFIX + "{path}")
                    : routes.post(WEBRTC_PREFIX + "{path}");
            b.access(Access.USER).tag("avatars")
                    .summary("Proxy to the caller's avatar instance (LiveTalking's API only: offer, human, humanaudio,"
                            + " interrupt_talk, is_speaking, set_audiotype, record; others 404); 502/504 when it is"
                            + " down or slow. A tunnel: LiveTalking's answer (JSON, e.g. offer's {sdp, type,"
                            + " sessionid}) is passed through as it is, so its schema is LiveTalking's, not Lectern's")
                    .returns(200, JsonNode.class)
                    .errors(401, 404, 409, 502, 503, 504)
                    .tunnel(proxyRoute);
        }
    }

    /** The body types the seed's front ends and Lectern's own send. */
    private static final String[] FORMS = {"application/json", "multipart/form-data",
            "application/x-www-form-urlencoded"};

    private Map<String, AvatarView> list() {
        Map<String, AvatarView> out = new LinkedHashMap<>();
        for (AvatarCatalogue.Entry e : catalogue.list()) {
            out.put(e.avatar().name(), view(e));
        }
        return out;
    }

    static AvatarView view(AvatarCatalogue.Entry e) {
        AvatarsConfig.Avatar a = e.avatar();
        return new AvatarView(a.supportsClone(), a.description(), a.status(), a.voice(), a.ttsModel(),
                a.avatarModel(), a.name(), a.voice(), a.supportsClone(), e.configured() ? "configured" : "added");
    }

    /**
     * The avatar a request names: {@code avatar_name} or {@code name}, in a JSON body or a form (multipart or
     * urlencoded); a non-blank string.
     */
    static String avatarName(ApiRequest r) {
        String name;
        if (r.isForm() || MultipartFieldDecoder.isMultipart(r)) {
            Map<String, List<String>> f = r.isForm() ? r.form() : MultipartFieldDecoder.decode(r);
            List<String> values = f.containsKey("avatar_name") ? f.get("avatar_name") : f.get("name");
            name = values == null ? null : values.get(0);
        } else {
            NameBody b = r.json(NameBody.class);
            name = b.avatarName() != null ? b.avatarName() : b.name();
        }
        if (name == null || name.isBlank()) {
            throw ServiceException.badRequest("field 'avatar_name' (or 'name') is missing or not a string");
        }
        if (name.length() > 64) {
            throw ServiceException.notFound("no avatar named that");
        }
        return name;
    }

    private CompletionStage<ApiResponse> preview(ApiRequest r) {
        AvatarCatalogue.Image image = catalogue.preview(avatarName(r));
        return ApiResponse.file(200, image.contentType(), image.file(), image.length(), image.afterSent())
                .withHeader("Cache-Control", "private, max-age=300").async();
    }

    private CompletionStage<ApiResponse> add(ApiRequest r, MultipartForm form) {
        Principal caller = r.requirePrincipal();
        MultipartForm.FilePart face = onePart(form, "prompt_face");
        MultipartForm.FilePart voice = onePart(form, "prompt_voice");
        String name = form.field("name").or(() -> form.field("avatar_name")).map(String::strip).orElse(null);
        String description = form.field("description").orElse("");
        return CompletableFuture.supplyAsync(() -> {
            AvatarCatalogue.Entry e = catalogue.add(name, description, face.file(), voice.file(), caller);
            return ApiResponse.json(200, new Done("success", "Avatar created successfully", e.avatar().name(),
                    view(e)));
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
        return ApiResponse.json(new Done("success", "Avatar deleted successfully", name, null)).async();
    }

    private CompletionStage<ApiResponse> disconnect(ApiRequest r) {
        String user = r.requirePrincipal().userId();
        Optional<String> current = avatars.currentAvatar(user);
        return avatars.disconnect(user).handle((had, err) -> {
            if (err != null) {
                throw toApi(err);
            }
            String message = had ? "Disconnected from avatar " + current.orElse("") : "No avatar was connected";
            return ApiResponse.json(new Done("success", message.strip(), current.orElse(null), null));
        });
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
            return ApiResponse.json(started(a, user));
        });
    }

    /** The seed's answer: {@code avatar_id} is {@code {avatar}_user_{id}}; Lectern's own instance id beside it. */
    static Started started(AvatarAssignment a, String userId) {
        Integer gpu = a.gpu() == null || !a.gpu().matches("[0-9]{1,9}") ? null : Integer.valueOf(a.gpu());
        return new Started("success", a.avatarName() + "_user_" + userId, a.port(), WEBRTC_PREFIX + "offer", gpu,
                a.connections(), a.newInstance(), "Avatar started successfully (port " + a.port() + ", connections: "
                + a.connections() + ")", a.instanceId(), a.avatarName());
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
            if (e.retryAfterSeconds() > 0) {
                return new ServiceException(e.kind().httpStatus(), code, e.getMessage(),
                        Map.of("Retry-After", Long.toString(e.retryAfterSeconds())));
            }
            return new ServiceException(e.kind().httpStatus(), code, e.getMessage());
        }
        return t instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(t);
    }
}

package dev.lectern.http.api;

import dev.lectern.core.json.Json;
import dev.lectern.http.Access;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Route;
import dev.lectern.http.Router;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /openapi.json}: an OpenAPI 3.1 document generated from the router itself, so it lists exactly the
 * endpoints that exist.
 */
public final class OpenApiApi {
    private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");

    private final String version;
    private volatile byte[] document = "{}".getBytes();

    public OpenApiApi(String version) {
        this.version = version;
    }

    public void register(Router.Builder routes) {
        routes.get("/openapi.json").tag("system").summary("This API, described in OpenAPI 3.1")
                .handle(r -> ApiResponse.bytes(200, ApiResponse.JSON, document).async());
    }

    /** Builds the document once the router is complete. */
    public void document(Router router) {
        Map<String, Object> paths = new TreeMap<>();
        for (Route route : router.routes()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> item = (Map<String, Object>) paths.computeIfAbsent(route.template(),
                    k -> new LinkedHashMap<>());
            item.put(route.method().toLowerCase(Locale.ROOT), operation(route));
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.1.0");
        doc.put("info", Map.of("title", "Lectern", "version", version,
                "description", "Real-time server for AI video-tutoring products."));
        doc.put("paths", paths);
        doc.put("components", Map.of(
                "securitySchemes", Map.of("bearer", Map.of("type", "http", "scheme", "bearer", "bearerFormat", "JWT")),
                "schemas", Map.of("Error", Map.of("type", "object", "required",
                        List.of("error", "message", "requestId", "msg"),
                        "properties", Map.of(
                                "error", Map.of("type", "string"),
                                "message", Map.of("type", "string"),
                                "requestId", Map.of("type", "string"),
                                "msg", Map.of("type", "string", "description", "the message again, for the seeds'"
                                        + " front ends"))))));
        document = Json.writeBytes(doc);
    }

    private static Map<String, Object> operation(Route route) {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("summary", route.summary());
        op.put("tags", List.of(route.tag()));
        op.put("operationId", operationId(route));
        List<Object> params = new ArrayList<>();
        Matcher m = PARAM.matcher(route.template());
        while (m.find()) {
            params.add(Map.of("name", m.group(1), "in", "path", "required", true,
                    "schema", Map.of("type", "string")));
        }
        for (Route.Param p : route.queryParams()) {
            params.add(Map.of("name", p.name(), "in", "query", "required", p.required(),
                    "description", p.description(), "schema", Map.of("type", p.type())));
        }
        if (!params.isEmpty()) {
            op.put("parameters", params);
        }
        if (!route.consumes().isEmpty()) {
            Map<String, Object> content = new LinkedHashMap<>();
            for (String type : route.consumes()) {
                Map<String, Object> media = new LinkedHashMap<>();
                media.put("schema", Map.of("type", "object"));
                if (route.requestExample() != null) {
                    media.put("example", route.requestExample());
                }
                content.put(type, media);
            }
            op.put("requestBody", Map.of("required", true, "content", content));
        }
        if (route.access().authenticated()) {
            op.put("security", List.of(Map.of("bearer", List.of())));
            if (route.access() != Access.USER) {
                op.put("x-required-role", route.access().minimumRole().wireName());
            }
        }
        if (!route.tokens().equals(dev.lectern.core.auth.AcceptedTokens.ANY)) {
            // the kinds of token the route takes (Route#tokens); 403 token_type_refused for the others
            op.put("x-token-types", route.tokens().types().stream().map(dev.lectern.core.auth.TokenType::wireName)
                    .toList());
        }
        Map<String, Object> responses = new LinkedHashMap<>();
        responses.put("200", Map.of("description", "success"));
        List<Integer> errors = new ArrayList<>(route.errorStatuses());
        if (!route.consumes().isEmpty()) {
            errors.add(400);
            errors.add(413);
            errors.add(415);
        }
        if (route.access().authenticated()) {
            errors.add(401);
            if (route.access() != Access.USER) {
                errors.add(403);
            }
        }
        for (int status : new java.util.TreeSet<>(errors)) {
            responses.put(Integer.toString(status), Map.of("description", "error",
                    "content", Map.of("application/json", Map.of("schema", Map.of("$ref", "#/components/schemas/Error")))));
        }
        op.put("responses", responses);
        return op;
    }

    private static String operationId(Route route) {
        StringBuilder sb = new StringBuilder(route.method().toLowerCase(Locale.ROOT));
        for (String part : route.template().split("[/{}_.-]+")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return sb.toString();
    }
}

package dev.lectern.http.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.json.Json;
import dev.lectern.http.Access;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Route;
import dev.lectern.http.Router;
import dev.lectern.http.Types;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /openapi.json}: an OpenAPI 3.1 document generated from the router itself, so it lists exactly the
 * endpoints that exist, with each body's schema generated from the Java type the route declares
 * ({@code request(Type)}, {@code returns(status, Type)}; see {@link OpenApiSchemas}), so it cannot drift from the code.
 * Error statuses answer the {@code Error} schema; an SSE route's declared 200 type is the data of its events.
 */
public final class OpenApiApi {
    private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");
    private static final Map<String, Object> ERROR_REF = Map.of("$ref", "#/components/schemas/Error");
    /** Every error body: {@code {error, message, msg, requestId}} ({@code msg}: the message, as the seeds read it). */
    private static final Map<String, Object> ERROR_SCHEMA = Map.of("type", "object",
            "required", List.of("error", "message", "requestId", "msg"),
            "properties", Map.of(
                    "error", Map.of("type", "string", "description", "a stable code, e.g. not_found"),
                    "message", Map.of("type", "string"),
                    "msg", Map.of("type", "string", "description", "the message again, under the seeds' name"),
                    "requestId", Map.of("type", "string")));

    private final String version;
    private volatile byte[] document = "{}".getBytes();

    public OpenApiApi(String version) {
        this.version = version;
    }

    public void register(Router.Builder routes) {
        routes.get("/openapi.json").tag("system").summary("This API, described in OpenAPI 3.1")
                .returns(200, Types.mapOf(Object.class))
                .handle(r -> ApiResponse.bytes(200, ApiResponse.JSON, document).async());
    }

    /** Builds the document once the router is complete (once, at start: the schemas are generated here). */
    public void document(Router router) {
        document = Json.writeBytes(build(router, version));
    }

    /** The OpenAPI 3.1 document of {@code router}'s routes, schemas generated from their declared body types. */
    public static Map<String, Object> build(Router router, String version) {
        OpenApiSchemas schemas = new OpenApiSchemas(false);
        OpenApiSchemas inputs = new OpenApiSchemas(true);
        Map<String, Object> paths = new TreeMap<>();
        for (Route route : router.routes()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> item = (Map<String, Object>) paths.computeIfAbsent(route.template(),
                    k -> new LinkedHashMap<>());
            item.put(route.method().toLowerCase(Locale.ROOT), operation(route, schemas, inputs));
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.1.0");
        doc.put("jsonSchemaDialect", "https://spec.openapis.org/oas/3.1/dialect/base");
        doc.put("info", Map.of("title", "Lectern", "version", version,
                "description", "Real-time server for AI video-tutoring products. Every body schema is generated from "
                        + "the Java type the route reads or writes."));
        doc.put("paths", paths);
        ObjectNode components = schemas.components();
        components.setAll(inputs.components());
        components.set("Error", Json.MAPPER.valueToTree(ERROR_SCHEMA));
        doc.put("components", Map.of(
                "securitySchemes", Map.of("bearer", Map.of("type", "http", "scheme", "bearer", "bearerFormat", "JWT")),
                "schemas", components));
        return doc;
    }

    private static Map<String, Object> operation(Route route, OpenApiSchemas schemas, OpenApiSchemas inputs) {
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
                media.put("schema", route.requestType() == null ? Map.of("type", "object")
                        : inputs.schema(route.requestType()));
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
        Map<String, Object> responses = new TreeMap<>();
        route.responseTypes().forEach((status, type) ->
                responses.put(Integer.toString(status), response(route, status, type, schemas)));
        if (route.sse() != null && !route.responseTypes().containsKey(200)) {
            responses.put("200", Map.of("description", "an event stream",
                    "content", Map.of("text/event-stream", Map.of("schema", Map.of("type", "string")))));
        }
        if (responses.isEmpty()) {
            responses.put("200", Map.of("description", "success (no body type declared)"));
        }
        List<Integer> errors = new ArrayList<>(route.errorStatuses());
        errors.add(429); // a rate limit (per address, per user)
        errors.add(503); // the blocking executor or a store saturated or down
        if (!route.tokens().equals(dev.lectern.core.auth.AcceptedTokens.ANY)) {
            errors.add(403); // token_type_refused
        }
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
        for (int status : new TreeSet<>(errors)) {
            responses.putIfAbsent(Integer.toString(status), status < 400 ? Map.of("description", "redirect")
                    : Map.of("description", "error", "content", Map.of("application/json", Map.of("schema", ERROR_REF))));
        }
        op.put("responses", responses);
        return op;
    }

    /**
     * One declared response: JSON of the type's schema; a non-JSON {@link Types.Media} body, or {@link Types.Either} of
     * several; no body for {@code Void};
     * on an SSE route the 200 is {@code text/event-stream}, the type describing each event's data.
     */
    private static Map<String, Object> response(Route route, int status, Type type, OpenApiSchemas schemas) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("description", status < 300 ? "success" : status < 400 ? "redirect" : "error");
        if (type == Void.class || type == void.class) {
            return r;
        }
        if (type instanceof Types.Media || type instanceof Types.Either) {
            Map<String, Object> content = new LinkedHashMap<>();
            for (Type t : type instanceof Types.Either e ? e.alternatives() : List.of(type)) {
                if (t instanceof Types.Media media) {
                    boolean text = media.contentType().startsWith("text/") || media.contentType().contains("xml")
                            || media.contentType().contains("*");
                    content.put(media.contentType(), Map.of("schema", text ? Map.of("type", "string")
                            : Map.of("type", "string", "contentMediaType", media.contentType())));
                } else {
                    content.put("application/json", Map.of("schema", schemas.schema(t)));
                }
            }
            r.put("content", content);
            return r;
        }
        if (route.sse() != null && status == 200) {
            Map<String, Object> events = new LinkedHashMap<>();
            events.put("schema", Map.of("type", "string",
                    "description", "server-sent events; each event's data is JSON as x-event-data says"));
            events.put("x-event-data", schemas.schema(type));
            r.put("description", "an event stream");
            r.put("content", Map.of("text/event-stream", events));
            return r;
        }
        r.put("content", Map.of("application/json", Map.of("schema", schemas.schema(type))));
        return r;
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

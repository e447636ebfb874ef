package dev.lectern.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.lectern.core.json.Json;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks what a running server answers against its own {@code /openapi.json}: {@link #check} finds the operation of a
 * request (method + concrete path, matched to the documented templates), and fails with a readable message when the
 * status is not documented for a typed operation, when the content type is not the documented one, or when the JSON body
 * does not validate against the response's schema (JSON Schema 2020-12, {@code $ref}s into the document's components).
 * An operation whose responses declare no body type (routes not typed yet) is only checked to exist. {@link #checkEvent}
 * does the same for an event of an SSE route; {@link #documentProblems} checks the document itself.
 * <p>
 * Use: {@code new HttpJson(port).validating(ContractValidator.load(port))}, and every reply is checked.
 */
public final class ContractValidator {
    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final String JSON = "application/json";
    /** The description of the 200 of a route that declares no response type (OpenApiApi). */
    private static final String UNTYPED = "success (no body type declared)";

    private final JsonNode doc;
    private final List<Template> templates = new ArrayList<>();
    private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();

    private record Template(String template, Pattern pattern, int literals) {}

    public ContractValidator(JsonNode doc) {
        this.doc = doc;
        for (Iterator<String> it = doc.path("paths").fieldNames(); it.hasNext(); ) {
            String t = it.next();
            String regex = Pattern.quote(t).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q");
            templates.add(new Template(t, Pattern.compile(regex), t.replaceAll("\\{[^}]+}", "").length()));
        }
        // a literal segment wins over a parameter, as in the router
        templates.sort((a, b) -> Integer.compare(b.literals(), a.literals()));
    }

    /** The document the server at {@code port} serves. */
    public static ContractValidator load(int port) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/openapi.json")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError("/openapi.json answered " + r.statusCode());
            }
            return new ContractValidator(Json.MAPPER.readTree(r.body()));
        } catch (IOException e) {
            throw new AssertionError("/openapi.json: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public JsonNode document() {
        return doc;
    }

    /** The documented template a concrete path (query string allowed) falls under, or null. */
    public String template(String path) {
        String p = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        for (Template t : templates) {
            if (t.pattern().matcher(p).matches()) {
                return t.template();
            }
        }
        return null;
    }

    /**
     * Fails (AssertionError) when the reply is not what the document says for {@code method path}.
     *
     * @param contentType the response's Content-Type, or null
     * @param body        the response body as text ("" when none)
     */
    public void check(String method, String path, int status, String contentType, String body) {
        List<String> problems = problems(method, path, status, contentType, body);
        if (!problems.isEmpty()) {
            throw new AssertionError(method + " " + path + " → " + status + " breaks /openapi.json:\n  - "
                    + String.join("\n  - ", problems) + "\n  body: " + abbreviate(body));
        }
    }

    /** What is wrong with the reply, by the document (empty: nothing). */
    public List<String> problems(String method, String path, int status, String contentType, String body) {
        List<String> out = new ArrayList<>();
        JsonNode op = operation(method, path, out);
        if (op == null) {
            return out;
        }
        String template = template(path);
        JsonNode responses = op.path("responses");
        boolean typed = typed(op);
        JsonNode response = responses.get(Integer.toString(status));
        if (response == null) {
            if (typed) {
                List<String> documented = new ArrayList<>();
                responses.fieldNames().forEachRemaining(documented::add);
                out.add("status " + status + " is not documented (documented: " + documented + ")");
            }
            return out;
        }
        JsonNode content = response.get("content");
        boolean empty = body == null || body.isEmpty();
        if (content == null) {
            if (typed && !empty) {
                out.add("the document says no body, the server sent " + contentType);
            }
            return out;
        }
        String media = contentType == null ? "" : contentType.split(";")[0].strip().toLowerCase(Locale.ROOT);
        if (!content.has(media)) {
            if (typed) {
                List<String> documented = new ArrayList<>();
                content.fieldNames().forEachRemaining(documented::add);
                out.add("content type " + contentType + " is not documented (documented: " + documented + ")");
            }
            return out;
        }
        if (!media.equals(JSON)) {
            return out;
        }
        JsonNode value;
        try {
            value = Json.MAPPER.readTree(empty ? "null" : body);
        } catch (IOException e) {
            out.add("the body is not JSON: " + e.getMessage());
            return out;
        }
        String pointer = "/paths/" + escape(template) + "/" + method.toLowerCase(Locale.ROOT) + "/responses/" + status
                + "/content/" + escape(JSON) + "/schema";
        for (ValidationMessage m : schema(pointer).validate(value)) {
            out.add(m.getMessage() + "   [schema " + pointer + "]");
        }
        return out;
    }

    /** Fails when {@code data}, one event of the SSE route {@code method path}, breaks its documented event schema. */
    public void checkEvent(String method, String path, JsonNode data) {
        List<String> out = new ArrayList<>();
        JsonNode op = operation(method, path, out);
        if (op != null) {
            String pointer = "/paths/" + escape(template(path)) + "/" + method.toLowerCase(Locale.ROOT)
                    + "/responses/200/content/" + escape("text/event-stream") + "/x-event-data";
            if (doc.at(pointer).isMissingNode()) {
                out.add("the route documents no event data");
            } else {
                for (ValidationMessage m : schema(pointer).validate(data)) {
                    out.add(m.getMessage() + "   [schema " + pointer + "]");
                }
            }
        }
        if (!out.isEmpty()) {
            throw new AssertionError("event of " + method + " " + path + " breaks /openapi.json:\n  - "
                    + String.join("\n  - ", out) + "\n  data: " + abbreviate(data.toString()));
        }
    }

    /** Whether {@code method template} declares a response type (an SSE route: the data of its events). */
    public boolean typed(String method, String template) {
        JsonNode op = doc.path("paths").path(template).path(method.toLowerCase(Locale.ROOT));
        return !op.isMissingNode() && typed(op);
    }

    private static boolean typed(JsonNode op) {
        for (Iterator<Map.Entry<String, JsonNode>> it = op.path("responses").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> r = it.next();
            if (r.getKey().startsWith("2") && !r.getValue().path("description").asText().equals(UNTYPED)) {
                JsonNode events = r.getValue().at("/content/text~1event-stream");
                if (events.isMissingNode() || events.has("x-event-data")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * What is wrong with the document: the OpenAPI 3.1 parser's messages, {@code $ref}s that do not resolve, and
     * component schemas that are not valid JSON Schema 2020-12.
     */
    public List<String> documentProblems() {
        List<String> out = new ArrayList<>();
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        options.setValidateInternalRefs(true);
        var parsed = new OpenAPIV3Parser().readContents(Json.write(doc), null, options);
        if (parsed.getMessages() != null) {
            out.addAll(parsed.getMessages());
        }
        if (!parsed.isOpenapi31()) {
            out.add("not parsed as OpenAPI 3.1");
        }
        refs(doc, "", out);
        JsonSchema meta = SCHEMAS.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        doc.path("components").path("schemas").fields().forEachRemaining(e -> {
            Set<ValidationMessage> bad = meta.validate(e.getValue());
            bad.forEach(m -> out.add("components/schemas/" + e.getKey() + ": " + m.getMessage()));
        });
        return out;
    }

    private void refs(JsonNode node, String at, List<String> out) {
        if (node.isObject()) {
            JsonNode ref = node.get("$ref");
            if (ref != null && ref.isTextual()) {
                String r = ref.asText();
                if (!r.startsWith("#/") || doc.at(r.substring(1)).isMissingNode()) {
                    out.add(at + ": $ref " + r + " does not resolve");
                }
            }
            node.fields().forEachRemaining(e -> refs(e.getValue(), at + "/" + e.getKey(), out));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                refs(node.get(i), at + "/" + i, out);
            }
        }
    }

    private JsonNode operation(String method, String path, List<String> out) {
        String template = template(path);
        if (template == null) {
            out.add("no documented path matches " + path);
            return null;
        }
        JsonNode op = doc.path("paths").path(template).get(method.toLowerCase(Locale.ROOT));
        if (op == null) {
            out.add(method + " is not documented for " + template);
        }
        return op;
    }

    /** The schema at {@code pointer} with the document's components beside it, so its {@code $ref}s resolve. */
    private JsonSchema schema(String pointer) {
        return compiled.computeIfAbsent(pointer, p -> {
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.set("allOf", Json.MAPPER.createArrayNode().add(doc.at(p)));
            root.set("components", doc.path("components"));
            return SCHEMAS.getSchema(root);
        });
    }

    private static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 600 ? s.substring(0, 600) + "…" : s;
    }
}

package dev.lectern.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.lectern.core.json.Json;
import dev.lectern.http.Access;
import dev.lectern.http.ApiHandler;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import dev.lectern.http.Types;
import dev.lectern.http.multipart.MultipartForm;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The document generated from routes' declared types: the schemas say what the mapper writes, as OpenAPI 3.1. */
class OpenApiApiTest {
    private static final ApiHandler OK = r -> ApiResponse.noContent().async();

    enum Level {
        EASY("easy"), HARD("hard");

        private final String wire;

        Level(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }
    }

    record Item(String id, @JsonProperty("created_at") String createdAt, int count, Level level,
                List<String> tags, Map<String, Integer> scores, JsonNode extra) {
        record Part(String name) {}
    }

    record Page(List<Item> items, Item.Part part, long total) {}

    record NewItem(@JsonProperty(required = true) String title, @JsonProperty("group_id") String groupId) {}

    record Upload(MultipartForm.FilePart file, @JsonProperty("lecture_id") String lectureId) {}

    record Event(String type, String text) {}

    private final Router router = Router.builder()
            .post("/api/items").access(Access.USER).json().request(NewItem.class).returns(201, Item.class)
            .example(Map.of("title", "t", "group_id", "g")).errors(404).handle(OK)
            .get("/api/items").access(Access.USER).returns(200, Types.listOf(Item.class)).handle(OK)
            .get("/api/pages/{id}").returns(200, Page.class).returns(204, Void.class).handle(OK)
            .get("/api/scores").returns(200, Types.mapOf(Item.Part.class)).handle(OK)
            .get("/api/items.csv").returns(200, Types.either(Types.media("text/csv"), Types.listOf(Item.class)))
            .handle(OK)
            .get("/api/items.pdf").returns(200, Types.media("application/pdf")).handle(OK)
            .post("/api/uploads").consumes("multipart/form-data").request(Upload.class).returns(201, Item.class)
            .handle(OK)
            .get("/api/items/{id}/events").returns(200, Event.class).sse(1000, (r, loop) -> null)
            .get("/api/untyped").handle(OK)
            .build();

    private final JsonNode doc = Json.MAPPER.valueToTree(OpenApiApi.build(router, "test"));

    @Test
    void parsesAsOpenApi31WithoutMessages() {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        options.setValidateInternalRefs(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(Json.write(doc), null, options);
        assertThat(result.getMessages()).isEmpty();
        assertThat(result.isOpenapi31()).isTrue();
        assertThat(result.getOpenAPI().getPaths()).containsKeys("/api/items", "/api/uploads");
    }

    @Test
    void recordsBecomeComponentsWithTheirWireNames() {
        JsonNode item = doc.at("/components/schemas/Item");
        assertThat(item.path("properties").has("created_at")).isTrue();
        assertThat(item.path("properties").has("createdAt")).isFalse();
        assertThat(item.at("/properties/count/type").asText()).isEqualTo("integer");
        assertThat(item.at("/properties/tags/type").toString()).contains("array");
        assertThat(item.at("/properties/scores/additionalProperties").toString()).contains("integer");
        assertThat(item.at("/properties/extra")).isEmpty();
        assertThat(item.path("additionalProperties").asBoolean(true)).isFalse();
        assertThat(item.path("required")).extracting(JsonNode::asText)
                .contains("id", "created_at", "count", "level", "tags", "scores", "extra");
        assertThat(doc.at("/components/schemas/ItemPart/properties").has("name")).isTrue();
        assertThat(doc.at("/paths/~1api~1items/post/requestBody/content/application~1json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/NewItemInput");
        assertThat(doc.at("/components/schemas/NewItemInput/required").toString()).isEqualTo("[\"title\"]");
        assertThat(doc.at("/paths/~1api~1items/post/requestBody/content/application~1json/example/group_id")
                .asText()).isEqualTo("g");
        assertThat(doc.at("/paths/~1api~1items/get/responses/200/content/application~1json/schema/type").asText())
                .isEqualTo("array");
        String scores = doc.at("/paths/~1api~1scores/get/responses/200/content/application~1json/schema/$ref")
                .asText().substring("#/components/schemas/".length());
        assertThat(doc.at("/components/schemas/" + scores + "/type").asText()).isEqualTo("object");
        assertThat(doc.at("/components/schemas/" + scores + "/additionalProperties/$ref").asText())
                .isEqualTo("#/components/schemas/ItemPart");
    }

    @Test
    void enumsAreTheirJsonValuesAndNonPrimitivesMayBeNull() {
        String level = doc.at("/components/schemas/Item/properties/level").toString()
                + doc.at("/components/schemas/Level").toString();
        assertThat(level).contains("\"easy\"").contains("\"hard\"").doesNotContain("EASY");
        assertThat(doc.at("/components/schemas/Item/properties/id/type").toString()).contains("null");
        assertThat(doc.at("/components/schemas/Item/properties/count/type").toString()).doesNotContain("null");
    }

    @Test
    void errorsMultipartStreamsAndNonJsonBodiesAreDescribed() {
        JsonNode post = doc.at("/paths/~1api~1items/post/responses");
        assertThat(post.fieldNames()).toIterable().contains("201", "400", "401", "404", "413", "415");
        assertThat(post.at("/404/content/application~1json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/Error");
        assertThat(doc.at("/components/schemas/Error/properties").has("msg")).isTrue();
        assertThat(doc.at("/components/schemas/UploadInput/properties/file/contentMediaType").asText())
                .isEqualTo("application/octet-stream");
        assertThat(doc.at("/paths/~1api~1uploads/post/requestBody/content").has("multipart/form-data")).isTrue();
        assertThat(doc.at("/paths/~1api~1items~1{id}~1events/get/responses/200/content/text~1event-stream"
                + "/x-event-data/$ref").asText()).isEqualTo("#/components/schemas/Event");
        assertThat(doc.at("/paths/~1api~1items.csv/get/responses/200/content").fieldNames()).toIterable()
                .containsExactly("text/csv", "application/json");
        assertThat(doc.at("/paths/~1api~1items.pdf/get/responses/200/content/application~1pdf/schema"
                + "/contentMediaType").asText()).isEqualTo("application/pdf");
        assertThat(doc.at("/paths/~1api~1pages~1{id}/get/responses/204").has("content")).isFalse();
        assertThat(doc.at("/paths/~1api~1untyped/get/responses/200/description").asText())
                .isEqualTo("success (no body type declared)");
    }

    @Test
    void whatTheMapperWritesValidatesAndAnUndeclaredFieldDoesNot() {
        Item item = new Item("1", "2026-01-01T00:00:00Z", 3, Level.HARD, List.of("a"), Map.of("x", 1),
                Json.MAPPER.createObjectNode().put("any", true));
        JsonNode written = Json.MAPPER.valueToTree(new Page(List.of(item), new Item.Part("p"), 1));
        assertThat(validate("Page", written)).isEmpty();
        assertThat(validate("Item", Json.MAPPER.valueToTree(new Item(null, null, 0, null, null, null, null))))
                .isEmpty();
        ObjectNode grown = ((ObjectNode) Json.MAPPER.valueToTree(item)).put("surprise", 1);
        assertThat(validate("Item", grown)).isNotEmpty();
        ObjectNode wrong = ((ObjectNode) Json.MAPPER.valueToTree(item)).put("level", "HARD");
        assertThat(validate("Item", wrong)).isNotEmpty();
    }

    private Set<ValidationMessage> validate(String component, JsonNode value) {
        ObjectNode schema = Json.MAPPER.createObjectNode().put("$ref", "#/components/schemas/" + component);
        schema.set("components", doc.get("components"));
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema).validate(value);
    }
}

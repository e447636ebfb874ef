package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.classmate.ResolvedType;
import com.github.victools.jsonschema.generator.CustomDefinition;
import com.github.victools.jsonschema.generator.FieldScope;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaBuilder;
import com.github.victools.jsonschema.generator.SchemaGenerationContext;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.generator.impl.DefinitionKey;
import com.github.victools.jsonschema.generator.naming.DefaultSchemaDefinitionNamingStrategy;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import com.github.victools.jsonschema.module.jackson.JacksonOption;
import dev.lectern.core.json.Json;
import dev.lectern.http.multipart.MultipartForm;
import java.lang.reflect.Type;

/**
 * JSON Schemas (2020-12, the dialect of OpenAPI 3.1) of the routes' Java body types, generated with victools' generator
 * and its Jackson module so they say what {@link Json#MAPPER} writes and reads: {@code @JsonProperty} names, records,
 * enums (each value as the mapper writes it), {@code List} as arrays, {@code Map<String, X>} as objects of X. Every object type becomes
 * a named component ({@code #/components/schemas/Name}, a type nested in a record, enum or interface named with it:
 * {@code RubricCriterion}). The mapper writes every field ({@code Include.ALWAYS}), so every field is required; any
 * non-primitive may be null. A record's schema forbids fields it does not declare, so a response that grows a field the
 * type does not have fails the contract tests. {@link JsonNode} and {@code Object} are any JSON; a
 * {@link MultipartForm.FilePart} field is a file part of a multipart form.
 */
final class OpenApiSchemas {
    static final String COMPONENTS = "components/schemas";

    private final SchemaBuilder builder;

    /**
     * @param input schemas of request bodies: named {@code …Input}, and only a {@code @JsonProperty(required = true)}
     *              field is required (the routes fill in what is left out); output schemas require every field the
     *              mapper always writes
     */
    OpenApiSchemas(boolean input) {
        SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(Json.MAPPER, SchemaVersion.DRAFT_2020_12,
                OptionPreset.PLAIN_JSON)
                .with(new JacksonModule(JacksonOption.RESPECT_JSONPROPERTY_ORDER))
                .with(Option.DEFINITIONS_FOR_ALL_OBJECTS, Option.PLAIN_DEFINITION_KEYS,
                        Option.MAP_VALUES_AS_ADDITIONAL_PROPERTIES, Option.FORBIDDEN_ADDITIONAL_PROPERTIES_BY_DEFAULT,
                        Option.NULLABLE_ARRAY_ITEMS_ALLOWED)
                .without(Option.SCHEMA_VERSION_INDICATOR);
        config.forTypesInGeneral()
                .withCustomDefinitionProvider((type, context) -> {
                    Class<?> raw = type.getErasedType();
                    if (JsonNode.class.isAssignableFrom(raw) || raw == Object.class) {
                        return new CustomDefinition(context.getGeneratorConfig().createObjectNode(),
                                CustomDefinition.DefinitionType.INLINE, CustomDefinition.AttributeInclusion.NO);
                    }
                    if (raw.isEnum()) {
                        return new CustomDefinition(enumSchema(raw, context.getGeneratorConfig().createObjectNode()));
                    }
                    if (raw == MultipartForm.FilePart.class) {
                        ObjectNode file = context.getGeneratorConfig().createObjectNode().put("type", "string")
                                .put("contentMediaType", "application/octet-stream");
                        return new CustomDefinition(file, CustomDefinition.DefinitionType.INLINE,
                                CustomDefinition.AttributeInclusion.NO);
                    }
                    return null;
                })
                .withDefinitionNamingStrategy(new DefaultSchemaDefinitionNamingStrategy() {
                    @Override
                    public String getDefinitionNameForKey(DefinitionKey key, SchemaGenerationContext context) {
                        ResolvedType t = key.getType();
                        String suffix = input ? "Input" : "";
                        if (!t.getTypeParameters().isEmpty() || t.getErasedType().getEnclosingClass() == null) {
                            return super.getDefinitionNameForKey(key, context) + suffix;
                        }
                        StringBuilder name = new StringBuilder(t.getErasedType().getSimpleName());
                        for (Class<?> c = t.getErasedType().getEnclosingClass(); c != null && dataType(c);
                                c = c.getEnclosingClass()) {
                            name.insert(0, c.getSimpleName());
                        }
                        return name.append(suffix).toString();
                    }
                });
        config.forFields()
                .withNullableCheck(f -> !f.getType().isPrimitive())
                .withRequiredCheck(f -> input ? requiredInput(f) : alwaysWritten(f));
        builder = new SchemaGenerator(config.build()).buildMultipleSchemaDefinitions();
    }

    /** A schema of {@code type}: a {@code $ref} into the components for an object type, inline otherwise. */
    ObjectNode schema(Type type) {
        return builder.createSchemaReference(type);
    }

    /** The components every {@link #schema} referred to; call once, after the last {@link #schema}. */
    ObjectNode components() {
        return builder.collectDefinitions(COMPONENTS);
    }

    /** An enum's values as the mapper writes them ({@code @JsonValue}, {@code @JsonProperty} or the name). */
    private static ObjectNode enumSchema(Class<?> type, ObjectNode schema) {
        ArrayNode values = schema.putArray("enum");
        boolean strings = true;
        for (Object constant : type.getEnumConstants()) {
            JsonNode v = Json.MAPPER.valueToTree(constant);
            strings &= v.isTextual();
            values.add(v);
        }
        if (strings) {
            schema.put("type", "string");
        }
        return schema;
    }

    /** A record, enum or interface: a type whose nested types are named after it ({@code RubricCriterion}). */
    private static boolean dataType(Class<?> c) {
        return c.isRecord() || c.isEnum() || c.isInterface();
    }

    private static boolean requiredInput(FieldScope f) {
        JsonProperty p = f.getAnnotationConsideringFieldAndGetter(JsonProperty.class);
        return p != null && p.required();
    }

    /** The mapper writes nulls too, unless the field or its class says otherwise. */
    private static boolean alwaysWritten(FieldScope f) {
        JsonInclude own = f.getAnnotationConsideringFieldAndGetter(JsonInclude.class);
        JsonInclude cls = f.getDeclaringType().getErasedType().getAnnotation(JsonInclude.class);
        JsonInclude in = own != null ? own : cls;
        return in == null || in.value() == JsonInclude.Include.ALWAYS || in.value() == JsonInclude.Include.USE_DEFAULTS;
    }
}

package dev.lectern.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Loads {@link ServerConfig} from a YAML file, then applies environment overrides.
 *
 * <p>An override is any variable {@code LECTERN_<SECTION>__<KEY>[__<KEY>…]}: {@code __} separates levels and each
 * UPPER_SNAKE level becomes lowerCamel, so {@code LECTERN_SIGNALING__PING_TIMEOUT_MILLIS=30000} sets
 * {@code signaling.pingTimeoutMillis}. Lists take comma-separated values. Variables without {@code __}
 * ({@code LECTERN_JWT_SECRET}, {@code LECTERN_CONFIG}) are not overrides. Unknown keys, wrong types and missing
 * keys all fail with a {@link ConfigException} that names the key.
 */
public final class ConfigLoader {
    public static final String ENV_PREFIX = "LECTERN_";

    private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    private ConfigLoader() {}

    public static ServerConfig load(Path file, Map<String, String> env) {
        return load(file, env, tree -> { });
    }

    /**
     * Loads with a seed deployment's environment understood ({@link SeedEnvironment}): its derived overrides go
     * first, the explicit {@code LECTERN_*} ones of {@code seed.env()} after, so those win.
     */
    public static ServerConfig load(Path file, SeedEnvironment seed) {
        return load(file, seed.env(), tree -> seed.apply(tree, (name, value) -> override(tree, name, value)));
    }

    private static ServerConfig load(Path file, Map<String, String> env, java.util.function.Consumer<ObjectNode> first) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new ConfigException("config file " + file + ": " + e.getMessage(), e);
        }
        if (!(root instanceof ObjectNode)) {
            throw new ConfigException("config file " + file + ": expected a mapping at the top level");
        }
        ObjectNode tree = (ObjectNode) root;
        first.accept(tree);
        new TreeMap<>(env).forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.contains("__")) {
                override(tree, name, value);
            }
        });
        return bind(tree);
    }

    /** Binds a tree that has already been read; used by tests that tweak the default file. */
    public static ServerConfig bind(ObjectNode tree) {
        ServerConfig config;
        try {
            config = YAML.treeToValue(tree, ServerConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException("unknown config key " + path(e) + " '" + e.getPropertyName() + "'"
                    + " (known: " + e.getKnownPropertyIds() + ")");
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfigException ce) {
                throw ce;
            }
            throw new ConfigException("invalid config at " + path(e) + ": " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new ConfigException("invalid config: " + e.getOriginalMessage());
        }
        requireSections(config);
        return config;
    }

    /** A section written as {@code section: ~} binds to null; refuse it like a missing one. */
    private static void requireSections(Record config) {
        for (var component : config.getClass().getRecordComponents()) {
            try {
                if (component.getAccessor().invoke(config) == null) {
                    throw new ConfigException("config: section " + component.getName() + " is missing");
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Reads a YAML file into a tree, for callers that want to change it before {@link #bind}. */
    public static ObjectNode readTree(Path file) {
        try {
            return (ObjectNode) YAML.readTree(Files.readString(file));
        } catch (IOException | ClassCastException e) {
            throw new ConfigException("config file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void override(ObjectNode tree, String name, String value) {
        String[] levels = name.substring(ENV_PREFIX.length()).split("__", -1);
        ObjectNode node = tree;
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < levels.length; i++) {
            String field = camel(levels[i]);
            if (field.isEmpty()) {
                throw new ConfigException("environment variable " + name + ": empty key level");
            }
            key.append(i == 0 ? "" : ".").append(field);
            JsonNode child = node.get(field);
            if (i == levels.length - 1) {
                if (child == null) {
                    throw new ConfigException("unknown config key '" + field + "' (from environment variable "
                            + name + ", key " + key + ")");
                }
                if (child.isContainerNode() && !child.isArray()) {
                    throw new ConfigException("environment variable " + name + ": " + key + " is a section, not a value");
                }
                node.set(field, scalar(child, value));
            } else {
                if (!(child instanceof ObjectNode)) {
                    throw new ConfigException("unknown config key '" + field + "' (from environment variable "
                            + name + ", key " + key + ")");
                }
                node = (ObjectNode) child;
            }
        }
    }

    /** Gives the override the type the file's default has, so that "9090" binds to an int and "a,b" to a list. */
    private static JsonNode scalar(JsonNode existing, String value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (existing.isArray()) {
            ArrayNode array = f.arrayNode();
            if (!value.isBlank()) {
                for (String part : value.split(",")) {
                    array.add(part.trim());
                }
            }
            return array;
        }
        if (existing.isIntegralNumber()) {
            try {
                return f.numberNode(Long.parseLong(value.trim()));
            } catch (NumberFormatException e) {
                return f.textNode(value);
            }
        }
        if (existing.isFloatingPointNumber()) {
            try {
                return f.numberNode(Double.parseDouble(value.trim()));
            } catch (NumberFormatException e) {
                return f.textNode(value);
            }
        }
        if (existing.isBoolean()) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.equals("true") || v.equals("false")) {
                return f.booleanNode(Boolean.parseBoolean(v));
            }
        }
        return f.textNode(value);
    }

    static String camel(String upperSnake) {
        StringBuilder sb = new StringBuilder();
        boolean upper = false;
        for (char c : upperSnake.toLowerCase(Locale.ROOT).toCharArray()) {
            if (c == '_') {
                upper = sb.length() > 0;
            } else {
                sb.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return sb.toString();
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "(top level)" : sb.toString();
    }

    /** For the start-up log line: the effective config as JSON. Records hold no secrets (see {@link Secrets}). */
    public static String describe(Object config) {
        try {
            return dev.lectern.core.json.Json.MAPPER.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            return String.valueOf(config);
        }
    }

}

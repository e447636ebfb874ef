package dev.lectern.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Tests load the same {@code config/lectern.yaml} the server ships with, then change only what they must
 * (ports 0, a temporary data directory) through the same override mechanism operators use.
 */
public final class TestConfigs {
    private TestConfigs() {}

    /** The repository root (where {@code config/} lives), from Surefire's {@code lectern.home} or the working dir. */
    public static Path home() {
        String prop = System.getProperty("lectern.home");
        Path start = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("config/lectern.yaml"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find config/lectern.yaml above " + start);
    }

    public static Path defaultFile() {
        return home().resolve("config/lectern.yaml");
    }

    /** The shipped defaults, on free ports, with a fresh data directory, plus the given env-style overrides. */
    public static ServerConfig defaults(Map<String, String> overrides) {
        try {
            Path data = Files.createTempDirectory("lectern-test-data");
            data.toFile().deleteOnExit();
            java.util.Map<String, String> env = new java.util.HashMap<>();
            env.put("LECTERN_HTTP__PORT", "0");
            env.put("LECTERN_SIGNALING__PORT", "0");
            env.put("LECTERN_HTTP__HOST", "127.0.0.1");
            env.put("LECTERN_STORAGE__DATA_DIR", data.toString());
            env.put("LECTERN_HISTORY__COMPANIONS_FILE", home().resolve("config/companions.yaml").toString());
            env.putAll(overrides);
            return ConfigLoader.load(defaultFile(), env);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ServerConfig defaults() {
        return defaults(Map.of());
    }

    /** The default file as a tree, for tests that change structure rather than values. */
    public static ObjectNode tree() {
        return ConfigLoader.readTree(defaultFile());
    }

    public static JsonNode at(ObjectNode tree, String dotted) {
        JsonNode n = tree;
        for (String part : dotted.split("\\.")) {
            n = n.get(part);
        }
        return n;
    }
}

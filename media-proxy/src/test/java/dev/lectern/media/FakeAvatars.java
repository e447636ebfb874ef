package dev.lectern.media;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.testing.TestConfigs;
import dev.lectern.core.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The shipped config with the avatar command pointed at {@link FakeLiveTalking} in a child JVM, a port range of its
 * own (so parallel test runs do not collide), and a catalogue whose avatar ids choose the fake's behaviour.
 */
public final class FakeAvatars {
    /** int session ids. */
    public static final String ANNA = "anna";
    /** uuid session ids. */
    public static final String BOB = "bob";
    /** Never opens its port. */
    public static final String GHOST = "ghost";
    /** Exits by itself shortly after it is ready. */
    public static final String CRASHY = "crashy";
    /** Answers in raw bytes: {@link RawHttpAvatar}. */
    public static final String RAW = "raw";
    /** Listed but switched off. */
    public static final String RETIRED = "retired";

    /** Endpoints of the fakes that the proxy tests use besides LiveTalking's. */
    public static final java.util.List<String> TEST_PATHS = java.util.List.of("__spoken", "a", "bytes", "chunked",
            "config", "continue", "cut", "echo", "headers", "hop", "payload", "slow", "split", "until_close", "garbage",
            "bad_header");

    private FakeAvatars() {}

    /** Loads the shipped file with these avatar settings and env-style overrides. */
    public static ServerConfig config(Map<String, String> overrides, Consumer<ObjectNode> tweak) {
        ObjectNode tree = TestConfigs.tree();
        ObjectNode avatars = (ObjectNode) tree.get("avatars");
        ArrayNode cmd = avatars.putArray("command");
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx64m").add("-XX:TieredStopAtLevel=1").add("-Xshare:auto");
        cmd.add("-cp").add(classPath()).add(FakeLiveTalking.class.getName());
        cmd.add("--transport").add("webrtc").add("--model").add("{model}").add("--avatar_id").add("{avatar}")
                .add("--listenport").add("{port}").add("--host").add("{host}").add("--max_session").add("2");
        int start = 20000 + ThreadLocalRandom.current().nextInt(0, 400) * 100;
        avatars.put("portRangeStart", start).put("portRangeEnd", start + 19);
        avatars.putArray("gpus").add("0").add("1");
        avatars.put("maxInstancesPerGpu", 2);
        avatars.put("maxUsersPerInstance", 2);
        avatars.put("readyTimeoutMillis", 30000);
        avatars.put("readyProbeIntervalMillis", 50);
        avatars.put("stopGraceMillis", 3000);
        avatars.put("offerTimeoutMillis", 10000);
        avatars.put("requestTimeoutMillis", 3000);
        ArrayNode paths = (ArrayNode) avatars.get("proxyPaths");
        for (String extra : TEST_PATHS) {
            paths.add(extra); // the proxy tests' own endpoints of the fake avatar, beside LiveTalking's
        }
        ArrayNode catalogue = avatars.putArray("catalogue");
        entry(catalogue, ANNA, "active", "fake_int");
        entry(catalogue, BOB, "active", "fake_uuid");
        entry(catalogue, GHOST, "active", "fake_never_ready");
        entry(catalogue, CRASHY, "active", "fake_crash_after_1500");
        entry(catalogue, RETIRED, "inactive", "fake_int");
        entry(catalogue, RAW, "active", "fake_raw");
        tweak.accept(avatars);
        try {
            // JSON is YAML: the tweaked tree goes through the same loader and overrides as the shipped file
            Path file = Files.createTempFile("lectern-avatars", ".yaml");
            file.toFile().deleteOnExit();
            Files.write(file, Json.MAPPER.writeValueAsBytes(tree));
            Path data = Files.createTempDirectory("lectern-test-data");
            data.toFile().deleteOnExit();
            Map<String, String> env = new HashMap<>();
            env.put("LECTERN_HTTP__PORT", "0");
            env.put("LECTERN_SIGNALING__PORT", "0");
            env.put("LECTERN_HTTP__HOST", "127.0.0.1");
            env.put("LECTERN_STORAGE__DATA_DIR", data.toString());
            env.put("LECTERN_HISTORY__COMPANIONS_FILE", TestConfigs.home().resolve("config/companions.yaml").toString());
            env.putAll(overrides);
            return ConfigLoader.load(file, env);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ServerConfig config() {
        return config(Map.of(), a -> { });
    }

    public static AvatarsConfig avatars(Consumer<ObjectNode> tweak) {
        return config(Map.of(), tweak).avatars();
    }

    private static void entry(ArrayNode catalogue, String name, String status, String avatarId) {
        catalogue.addObject().put("name", name).put("description", "test avatar " + name).put("status", status)
                .put("voice", "en-US-AriaNeural").put("ttsModel", "edgetts").put("avatarModel", "wav2lip")
                .put("avatarId", avatarId).put("supportsClone", false).put("previewImage", "");
    }

    /** The test classpath as a real list (Surefire's own property; java.class.path may be a manifest-only jar). */
    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }
}

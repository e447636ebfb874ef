package dev.lectern.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.server.LecternServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The server side of {@link ChatGatewayBench}, in its own JVM: Lectern on the embedded defaults with the fake upstream
 * as its one model provider, text only, and a token verifier that takes every bearer token as its own user (so that no
 * stream barges in on another and no account set-up is measured). Prints {@code PORT <n>} and runs until its standard
 * input closes.
 *
 * <p>{@code java -cp … dev.lectern.bench.ChatGatewayNode http://127.0.0.1:<port>/v1}
 */
public final class ChatGatewayNode {
    private ChatGatewayNode() {}

    public static void main(String[] args) throws Exception {
        TokenVerifier users = token -> CompletableFuture.completedFuture(new Principal(token, Role.STUDENT, token));
        try (LecternServer server = LecternServer.start(config(args[0]), Map.of(), users)) {
            System.out.println("PORT " + server.httpPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // runs until the benchmark closes our standard input
            }
        }
        System.exit(0);
    }

    private static ServerConfig config(String base) throws Exception {
        return config(base, new AiConfig.Tts("none", "", "", "", "", 1000, 1000));
    }

    /** The node's configuration with {@code tts} (also {@link VoiceLatencyNode}'s). */
    static ServerConfig config(String base, AiConfig.Tts tts) throws Exception {
        return config(base, tts, tree -> { });
    }

    /** The same, with {@code tweak} applied to the shipped configuration file's tree first (e.g. the avatars). */
    static ServerConfig config(String base, AiConfig.Tts tts, Consumer<ObjectNode> tweak) throws Exception {
        Path data = TempDirs.create("lectern-bench");
        ObjectNode tree = ConfigLoader.readTree(Path.of("config/lectern.yaml"));
        tweak.accept(tree);
        Path file = data.resolve("lectern.yaml"); // JSON is YAML
        Files.writeString(file, Json.write(tree));
        Map<String, String> env = new HashMap<>();
        env.put("LECTERN_HTTP__PORT", "0");
        env.put("LECTERN_SIGNALING__PORT", "0");
        env.put("LECTERN_HTTP__HOST", "127.0.0.1");
        env.put("LECTERN_STORAGE__DATA_DIR", data.toString());
        // every benchmark stream comes from one address and one user: the request rate limits would refuse them
        env.put("LECTERN_ACCOUNTS__RATE_LIMIT__PER_ADDRESS_PER_MINUTE", "0");
        env.put("LECTERN_ACCOUNTS__RATE_LIMIT__PER_USER_PER_MINUTE", "0");
        ServerConfig d = ConfigLoader.load(file, env);
        AiConfig a = d.ai();
        AiConfig ai = new AiConfig(List.of(new AiConfig.Provider("bench", base, "", List.of("bench-model"), "", "")),
                "", a.connectTimeoutMillis(), a.firstTokenTimeoutMillis(), a.idleTimeoutMillis(), a.maxRetries(),
                a.retryBackoffMillis(), a.temperature(), a.maxTokens(), a.contextTokenBudget(), a.maxMessageChars(),
                a.persona(), a.sseKeepAliveMillis(), a.chunker(), a.usage(),
                tts, a.retrieval(), a.transcription());
        return d.withAi(ai);
    }
}

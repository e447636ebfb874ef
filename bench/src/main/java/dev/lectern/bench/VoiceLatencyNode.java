package dev.lectern.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.bench.netty.BenchLiveTalking;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.server.LecternServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The server side of {@link VoiceLatency}, in its own JVM: {@link ChatGatewayNode}'s set-up (the fake model as the one
 * provider, every bearer token its own user) with espeak-ng, or an OpenAI-compatible TTS at {@code ttsBase}, speaking
 * each sentence, its audio streamed as it is synthesised ({@code streaming}) or sent once the whole clip is stored.
 * Prints {@code PORT <n>} and runs until its standard input closes.
 *
 * <p>With the avatar arguments, each user that starts the avatar {@code bench} gets a {@link BenchLiveTalking} instance
 * of the node's local avatar manager (ports {@code avatarPortStart..avatarPortEnd}, {@code maxUsers} per instance),
 * which reports each turn's first {@code /human} to the bench's port {@code report}.
 *
 * <p>{@code java -cp … dev.lectern.bench.VoiceLatencyNode http://127.0.0.1:<port>/v1 true|false ttsBase
 * [avatarPortStart avatarPortEnd report maxUsers]}
 */
public final class VoiceLatencyNode {
    private VoiceLatencyNode() {}

    public static void main(String[] args) throws Exception {
        boolean streaming = Boolean.parseBoolean(args[1]);
        String ttsBase = args.length > 2 ? args[2] : "";
        TokenVerifier users = token -> CompletableFuture.completedFuture(new Principal(token, Role.STUDENT, token));
        AiConfig.Tts tts = ttsBase.isEmpty()
                ? new AiConfig.Tts("espeak", "", "", "", "", 60_000, 1000, "espeak-ng", streaming, 8L * 1024 * 1024)
                : new AiConfig.Tts("openai", ttsBase, "", "tts-1", "alloy", 60_000, 1000, "espeak-ng", streaming,
                        8L * 1024 * 1024);
        int[] avatar = args.length > 6 ? new int[] {Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]), Integer.parseInt(args[6])} : null;
        ServerConfig config = ChatGatewayNode.config(args[0], tts, tree -> {
            if (avatar != null) {
                avatars(tree, avatar[0], avatar[1], avatar[2], avatar[3]);
            }
        });
        try (LecternServer server = LecternServer.start(config, Map.of(), users)) {
            System.out.println("PORT " + server.httpPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // runs until the benchmark closes our standard input
            }
        }
        System.exit(0);
    }

    /**
     * The local avatar manager starts {@link BenchLiveTalking} (reporting to the bench's {@code report} port) on ports
     * {@code portStart..portEnd}, one instance shared by up to {@code maxUsers} users: the one avatar {@code bench}.
     */
    private static void avatars(ObjectNode tree, int portStart, int portEnd, int report, int maxUsers) {
        ObjectNode avatars = (ObjectNode) tree.get("avatars");
        avatars.put("mode", "local");
        avatars.putArray("command").add(Path.of(System.getProperty("java.home"), "bin", "java").toString())
                .add("-Xmx64m").add("-XX:TieredStopAtLevel=1").add("-cp").add(System.getProperty("java.class.path"))
                .add(BenchLiveTalking.class.getName()).add("--listenport").add("{port}")
                .add("--report").add(Integer.toString(report));
        avatars.put("workDir", ".");
        avatars.putArray("gpus");
        avatars.put("portRangeStart", portStart).put("portRangeEnd", portEnd);
        avatars.put("maxUsersPerInstance", maxUsers);
        avatars.put("idleStopMillis", 3_600_000);
        // generous: no lease ends for want of proxy traffic, no start is refused by a cap, during the run
        avatars.put("leaseMillis", 3_600_000).put("maxInstancesPerUser", 2).put("maxWaiting", Math.max(32, maxUsers));
        ArrayNode catalogue = avatars.putArray("catalogue");
        catalogue.addObject().put("name", "bench").put("description", "benchmark LiveTalking").put("status", "active")
                .put("voice", "").put("ttsModel", "").put("avatarModel", "bench").put("avatarId", "bench")
                .put("supportsClone", false).put("previewImage", "");
    }
}

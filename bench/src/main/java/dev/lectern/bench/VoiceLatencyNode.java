package dev.lectern.bench;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.AiConfig;
import dev.lectern.server.LecternServer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The server side of {@link VoiceLatency}, in its own JVM: {@link ChatGatewayNode}'s set-up (the fake model as the one
 * provider, every bearer token its own user) with espeak-ng, or an OpenAI-compatible TTS at {@code ttsBase}, speaking
 * each sentence, its audio streamed as it is synthesised ({@code streaming}) or sent once the whole clip is stored.
 * Prints {@code PORT <n>} and runs until its standard input closes.
 *
 * <p>{@code java -cp … dev.lectern.bench.VoiceLatencyNode http://127.0.0.1:<port>/v1 true|false [ttsBase]}
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
        try (LecternServer server = LecternServer.start(ChatGatewayNode.config(args[0], tts), Map.of(), users)) {
            System.out.println("PORT " + server.httpPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // runs until the benchmark closes our standard input
            }
        }
        System.exit(0);
    }
}

package dev.lectern.ai.llm;

import java.util.ArrayList;
import java.util.List;

/**
 * The embedded default when no model provider is configured. It does not pretend to be a model: it says, in a stream
 * marked offline, that no model is configured and how to configure one. (Answers grounded in the user's documents
 * come with retrieval.)
 */
public final class OfflineProvider implements ModelProvider {
    public static final String NAME = "offline";
    public static final String MODEL = "offline";
    static final String MESSAGE = "No language model is configured on this Lectern server, so I cannot answer yet. "
            + "An administrator can add an OpenAI-compatible provider (OpenRouter, OpenAI, Ollama, vLLM or a "
            + "llama.cpp server) under ai.providers in config/lectern.yaml, with its baseUrl, its models and the "
            + "name of the environment variable that holds its API key, and then restart the server.";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ChatStream stream(ChatRequest request, ChatStreamListener listener) {
        OfflineStream s = new OfflineStream(listener);
        for (String piece : pieces(MESSAGE)) {
            s.text(piece);
        }
        s.complete(Usage.NONE);
        return s;
    }

    /** Word-sized pieces, so that clients see the same streaming shape as from a model. */
    static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == ' ') {
                out.add(text.substring(start, i));
                start = i;
            }
        }
        return out;
    }

    private static final class OfflineStream extends PullStream {
        OfflineStream(ChatStreamListener listener) {
            super(listener);
        }

        void text(String s) {
            emitText(s);
        }

        void complete(Usage usage) {
            emitComplete("offline", usage);
        }

        @Override
        public boolean offline() {
            return true;
        }

        @Override
        protected void onCancel() {}
    }
}

package dev.lectern.ai.llm;

import dev.lectern.ai.retrieval.Passage;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedded default when no model provider is configured. It does not pretend to be a model: in a stream marked
 * offline it quotes the passages of the user's documents that retrieval found for the question, with their sources,
 * and otherwise says that no model is configured and how to configure one.
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
        return stream(request, List.of(), listener);
    }

    @Override
    public ChatStream stream(ChatRequest request, List<Passage> passages, ChatStreamListener listener) {
        OfflineStream s = new OfflineStream(listener);
        for (String piece : pieces(passages.isEmpty() ? MESSAGE : quoting(passages))) {
            s.text(piece);
        }
        s.complete(Usage.NONE);
        return s;
    }

    /** An honest answer without a model: what the user's own documents say, each passage with its source. */
    static String quoting(List<Passage> passages) {
        StringBuilder b = new StringBuilder("(Offline: no language model is configured, so I cannot explain. "
                + "These passages of your documents match your question.)");
        for (Passage p : passages) {
            b.append(" From ").append(p.filename());
            if (p.page() > 0) {
                b.append(", page ").append(p.page());
            }
            b.append(": \"").append(p.text().replaceAll("\\s+", " ").strip()).append("\"");
        }
        return b.toString();
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

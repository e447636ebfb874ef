package dev.lectern.ai.testing;

import dev.lectern.core.config.AiConfig;
import dev.lectern.testing.TestConfigs;
import java.util.List;
import java.util.Map;

/** The shipped AI config with one provider pointing at a test's upstream, and timeouts a test can shorten. */
public final class TestAi {
    private TestAi() {}

    public static AiConfig.Provider provider(String baseUrl) {
        return new AiConfig.Provider("fake", baseUrl, "FAKE_API_KEY", List.of("fake-model", "fake-model-2"),
                "https://tutor.example", "Lectern Test");
    }

    public static AiConfig config(List<AiConfig.Provider> providers, long firstTokenMillis, long idleMillis,
                                  int retries, AiConfig.Usage usage) {
        AiConfig d = TestConfigs.defaults(Map.of()).ai();
        return new AiConfig(providers, "", d.connectTimeoutMillis(), firstTokenMillis, idleMillis, retries, 10,
                d.temperature(), d.maxTokens(), d.contextTokenBudget(), d.maxMessageChars(), d.persona(),
                d.sseKeepAliveMillis(), d.chunker(), usage == null ? d.usage() : usage, TTS_OFF, d.retrieval(),
                d.transcription());
    }

    public static final AiConfig.Tts TTS_OFF = new AiConfig.Tts("none", "", "", "", "", 15_000, 1000);

    /** The same config with another text-to-speech section. */
    public static AiConfig withTts(AiConfig a, AiConfig.Tts tts) {
        return new AiConfig(a.providers(), a.defaultModel(), a.connectTimeoutMillis(), a.firstTokenTimeoutMillis(),
                a.idleTimeoutMillis(), a.maxRetries(), a.retryBackoffMillis(), a.temperature(), a.maxTokens(),
                a.contextTokenBudget(), a.maxMessageChars(), a.persona(), a.sseKeepAliveMillis(), a.chunker(),
                a.usage(), tts, a.retrieval(), a.transcription());
    }

    /** The same config with another speech-to-text section. */
    public static AiConfig withTranscription(AiConfig a, AiConfig.Transcription t) {
        return new AiConfig(a.providers(), a.defaultModel(), a.connectTimeoutMillis(), a.firstTokenTimeoutMillis(),
                a.idleTimeoutMillis(), a.maxRetries(), a.retryBackoffMillis(), a.temperature(), a.maxTokens(),
                a.contextTokenBudget(), a.maxMessageChars(), a.persona(), a.sseKeepAliveMillis(), a.chunker(),
                a.usage(), a.tts(), a.retrieval(), t);
    }

    public static AiConfig config(String baseUrl) {
        return config(List.of(provider(baseUrl)), 10_000, 10_000, 1, null);
    }
}

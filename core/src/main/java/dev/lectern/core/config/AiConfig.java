package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkNonNegative;
import static dev.lectern.core.config.Checks.checkNotBlank;
import static dev.lectern.core.config.Checks.checkPositive;
import static dev.lectern.core.config.Checks.checkRange;

import java.util.List;

/**
 * The AI tutor: model providers (OpenAI-compatible), timeouts, conversation context, the SSE stream, sentence chunking
 * and usage budgets. API keys are never here: each provider names the environment variable that holds its key.
 */
public record AiConfig(
        List<Provider> providers,
        String defaultModel,
        long connectTimeoutMillis,
        long firstTokenTimeoutMillis,
        long idleTimeoutMillis,
        int maxRetries,
        long retryBackoffMillis,
        double temperature,
        int maxTokens,
        int contextTokenBudget,
        int maxMessageChars,
        String persona,
        long sseKeepAliveMillis,
        Chunker chunker,
        Usage usage,
        Tts tts,
        Retrieval retrieval,
        Transcription transcription) {

    public AiConfig {
        providers = Checks.copyOf(providers, "ai.providers");
        if (defaultModel == null) {
            throw new ConfigException("ai.defaultModel: must be a string (\"\" = the first configured model)");
        }
        checkPositive(connectTimeoutMillis, "ai.connectTimeoutMillis");
        checkPositive(firstTokenTimeoutMillis, "ai.firstTokenTimeoutMillis");
        checkPositive(idleTimeoutMillis, "ai.idleTimeoutMillis");
        checkRange(maxRetries, 0, 5, "ai.maxRetries");
        checkNonNegative(retryBackoffMillis, "ai.retryBackoffMillis");
        if (!(temperature >= 0 && temperature <= 2)) {
            throw new ConfigException("ai.temperature: " + temperature + " (expected: 0-2)");
        }
        checkRange(maxTokens, 1, 1_000_000, "ai.maxTokens");
        checkRange(contextTokenBudget, 100, 10_000_000, "ai.contextTokenBudget");
        checkRange(maxMessageChars, 1, 1_000_000, "ai.maxMessageChars");
        checkNotBlank(persona, "ai.persona");
        checkPositive(sseKeepAliveMillis, "ai.sseKeepAliveMillis");
        if (chunker == null || usage == null || tts == null || retrieval == null || transcription == null) {
            throw new ConfigException("ai: sections chunker, usage, tts, retrieval and transcription are required");
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Provider p : providers) {
            if (!names.add(p.name())) {
                throw new ConfigException("ai.providers: duplicate provider name '" + p.name() + "'");
            }
        }
    }

    /** One OpenAI-compatible endpoint (OpenRouter, OpenAI, Ollama, vLLM, llama.cpp) and the models it serves. */
    public record Provider(String name, String baseUrl, String apiKeyEnv, List<String> models, String referer,
                           String title) {
        public Provider {
            checkNotBlank(name, "ai.providers[].name");
            checkNotBlank(baseUrl, "ai.providers[" + name + "].baseUrl");
            if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
                throw new ConfigException("ai.providers[" + name + "].baseUrl: " + baseUrl
                        + " (expected: an http:// or https:// URL)");
            }
            apiKeyEnv = apiKeyEnv == null ? "" : apiKeyEnv;
            models = Checks.copyOf(models, "ai.providers[" + name + "].models");
            if (models.isEmpty()) {
                throw new ConfigException("ai.providers[" + name + "].models: list at least one model");
            }
            referer = referer == null ? "" : referer;
            title = title == null ? "" : title;
        }
    }

    /** Sentence chunking between the model and the voice. */
    public record Chunker(int minChars, int maxChars, int firstClauseMinChars, long flushMillis) {
        public Chunker {
            checkRange(flushMillis, 0, 10_000, "ai.chunker.flushMillis");
            checkRange(minChars, 1, 10_000, "ai.chunker.minChars");
            checkRange(maxChars, 2, 10_000, "ai.chunker.maxChars");
            checkNonNegative(firstClauseMinChars, "ai.chunker.firstClauseMinChars");
            if (maxChars < minChars) {
                throw new ConfigException("ai.chunker.maxChars: " + maxChars + " (expected: >= minChars " + minChars + ")");
            }
        }
    }

    /**
     * Text-to-speech for each released sentence. {@code command} is the espeak-ng executable; with {@code streaming}
     * a sentence's audio URL is sent with the engine's first bytes and serves the clip while it grows (at most
     * {@code maxClipBytes}), else once the whole clip is stored.
     */
    public record Tts(String provider, String baseUrl, String apiKeyEnv, String model, String voice,
                      long timeoutMillis, int maxChars, String command, boolean streaming, long maxClipBytes) {
        public static final java.util.Set<String> PROVIDERS = java.util.Set.of("auto", "none", "espeak", "openai",
                "elevenlabs");

        public Tts {
            if (provider == null || !PROVIDERS.contains(provider)) {
                throw new ConfigException("ai.tts.provider: " + provider + " (expected one of " + PROVIDERS + ")");
            }
            baseUrl = baseUrl == null ? "" : baseUrl;
            apiKeyEnv = apiKeyEnv == null ? "" : apiKeyEnv;
            model = model == null ? "" : model;
            voice = voice == null ? "" : voice;
            if ((provider.equals("openai") || provider.equals("elevenlabs")) && !baseUrl.startsWith("http")) {
                throw new ConfigException("ai.tts.baseUrl: " + baseUrl + " (expected an http(s) URL for " + provider + ")");
            }
            checkPositive(timeoutMillis, "ai.tts.timeoutMillis");
            checkRange(maxChars, 1, 40_000, "ai.tts.maxChars");
            checkNotBlank(command, "ai.tts.command");
            checkRange(maxClipBytes, 1024, 1_000_000_000L, "ai.tts.maxClipBytes");
        }

        /** Streaming, with {@code espeak-ng} from the PATH and clips of at most 8 MiB. */
        public Tts(String provider, String baseUrl, String apiKeyEnv, String model, String voice, long timeoutMillis,
                   int maxChars) {
            this(provider, baseUrl, apiKeyEnv, model, voice, timeoutMillis, maxChars, "espeak-ng", true,
                    8L * 1024 * 1024);
        }
    }

    /** Per-user budgets over a rolling window; 0 = unlimited. */
    public record Usage(long windowSeconds, long modelTokens, long ttsChars) {
        public Usage {
            checkPositive(windowSeconds, "ai.usage.windowSeconds");
            checkNonNegative(modelTokens, "ai.usage.modelTokens");
            checkNonNegative(ttsChars, "ai.usage.ttsChars");
        }
    }

    /**
     * Retrieval over each user's uploaded documents: a Lucene (BM25) index per user under {@code indexDir}
     * ({@code ""} = {@code <dataDir>/index}), passages of about {@code passageChars} characters overlapping by
     * {@code overlapChars}; each answer gets at most {@code topPassages} passages whose share of the question's terms
     * is at least {@code minTermCoverage}. A document yields at most {@code maxExtractedChars} characters of text;
     * a DOCX whose parts inflate more than {@code maxInflateRatio} times is refused as a zip bomb. PDF and DOCX are
     * read in a child JVM with {@code extractHeapMb} of heap, killed after {@code extractTimeoutMillis}, at most
     * {@code extractConcurrency} at once.
     */
    public record Retrieval(String indexDir, int passageChars, int overlapChars, int topPassages,
                            double minTermCoverage, long maxExtractedChars, double maxInflateRatio,
                            int extractHeapMb, long extractTimeoutMillis, int extractConcurrency) {
        /** The defaults for the reader child (256 MB, 30 s, 2 at once). */
        public Retrieval(String indexDir, int passageChars, int overlapChars, int topPassages,
                         double minTermCoverage, long maxExtractedChars, double maxInflateRatio) {
            this(indexDir, passageChars, overlapChars, topPassages, minTermCoverage, maxExtractedChars,
                    maxInflateRatio, 256, 30_000, 2);
        }

        public Retrieval {
            checkRange(extractHeapMb, 32, 16_384, "ai.retrieval.extractHeapMb");
            checkRange(extractTimeoutMillis, 1000, 3_600_000, "ai.retrieval.extractTimeoutMillis");
            checkRange(extractConcurrency, 1, 64, "ai.retrieval.extractConcurrency");
            indexDir = indexDir == null ? "" : indexDir;
            checkRange(passageChars, 100, 20_000, "ai.retrieval.passageChars");
            checkRange(overlapChars, 0, passageChars / 2, "ai.retrieval.overlapChars");
            checkRange(topPassages, 0, 50, "ai.retrieval.topPassages");
            if (!(minTermCoverage > 0 && minTermCoverage <= 1)) {
                throw new ConfigException("ai.retrieval.minTermCoverage: " + minTermCoverage + " (expected: >0-1)");
            }
            checkRange(maxExtractedChars, 1000, 1_000_000_000L, "ai.retrieval.maxExtractedChars");
            if (!(maxInflateRatio >= 1 && maxInflateRatio <= 10_000)) {
                throw new ConfigException("ai.retrieval.maxInflateRatio: " + maxInflateRatio + " (expected: 1-10000)");
            }
        }
    }

    /**
     * Speech-to-text for uploaded audio: an OpenAI-compatible {@code POST {baseUrl}/audio/transcriptions}; {@code ""}
     * = none (audio is stored and listed, not indexed).
     */
    public record Transcription(String baseUrl, String model, String apiKeyEnv, long timeoutMillis) {
        public Transcription {
            baseUrl = baseUrl == null ? "" : baseUrl;
            model = model == null ? "" : model;
            apiKeyEnv = apiKeyEnv == null ? "" : apiKeyEnv;
            if (!baseUrl.isEmpty() && !baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
                throw new ConfigException("ai.transcription.baseUrl: " + baseUrl + " (expected an http(s) URL or \"\")");
            }
            checkPositive(timeoutMillis, "ai.transcription.timeoutMillis");
        }

        public boolean enabled() {
            return !baseUrl.isEmpty();
        }
    }
}

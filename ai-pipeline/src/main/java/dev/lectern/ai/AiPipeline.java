package dev.lectern.ai;

import dev.lectern.ai.conversation.ChatStore;
import dev.lectern.ai.conversation.ConversationService;
import dev.lectern.ai.conversation.PersonaLookup;
import dev.lectern.ai.conversation.SentenceSink;
import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.ai.llm.ModelProvider;
import dev.lectern.ai.llm.internal.OpenAiCompatibleProvider;
import dev.lectern.ai.llm.internal.StreamingHttpClient;
import dev.lectern.ai.retrieval.DocumentCatalog;
import dev.lectern.ai.retrieval.RetrievalService;
import dev.lectern.ai.retrieval.Transcriber;
import dev.lectern.ai.tts.EspeakTts;
import dev.lectern.ai.tts.HttpTts;
import dev.lectern.ai.tts.SpeechService;
import dev.lectern.ai.tts.TtsModel;
import dev.lectern.ai.tts.TtsProvider;
import dev.lectern.ai.usage.UsageMeter;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.objects.LiveObjects;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.core.store.EphemeralStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.asynchttpclient.AsyncHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the AI tutor from its config: the streaming client and timer thread shared by every model provider, the
 * model catalogue (the offline provider when none is configured), usage budgets, text-to-speech and speech-to-text
 * (on the process's shared HTTP client, which the caller owns) and the conversation service.
 */
public final class AiPipeline implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(AiPipeline.class);

    private final StreamingHttpClient streaming;
    private final ScheduledExecutorService timers;
    private final ModelCatalog models;
    private final UsageMeter usage;
    private final ConversationService conversations;
    private final TtsProvider tts;
    private final ObjectStore objects;
    private final Executor blocking;
    private final SpeechService speech;
    private final RetrievalService retrieval;
    private final String ttsConfigured;
    private final boolean espeakInstalled;
    private final List<String> espeakVoices;
    private final String ttsVoice;

    public AiPipeline(AiConfig config, Secrets secrets, EphemeralStore ephemeral, ChatStore chats,
                      PersonaLookup personas, SentenceSink sink, Executor blocking, ObjectStore objects,
                      Duration objectUrlTtl, Path dataDir, DocumentCatalog documents, AsyncHttpClient http) {
        this(config, secrets, ephemeral, chats, personas, sink, blocking, objects, null, objectUrlTtl, dataDir,
                documents, http);
    }

    /**
     * @param live where sentences' audio grows while it is synthesised ({@code ai.tts.streaming}); null = each clip's
     *             URL is sent once the whole clip is stored
     */
    public AiPipeline(AiConfig config, Secrets secrets, EphemeralStore ephemeral, ChatStore chats,
                      PersonaLookup personas, SentenceSink sink, Executor blocking, ObjectStore objects,
                      LiveObjects live, Duration objectUrlTtl, Path dataDir, DocumentCatalog documents,
                      AsyncHttpClient http) {
        this.objects = objects;
        this.blocking = blocking;
        this.ttsConfigured = config.tts().provider();
        this.espeakInstalled = EspeakTts.available(config.tts().command());
        this.espeakVoices = espeakInstalled ? EspeakTts.voices(config.tts().command()) : List.of();
        this.ttsVoice = config.tts().voice();
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lectern-llm-timer");
            t.setDaemon(true);
            return t;
        });
        // model answers are read on the event loop of the client they stream to (or one of these threads)
        this.streaming = new StreamingHttpClient((int) Math.min(Integer.MAX_VALUE, config.connectTimeoutMillis()),
                Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
        Map<String, ModelProvider> byModel = new LinkedHashMap<>();
        for (AiConfig.Provider p : config.providers()) {
            Optional<Secret> key = p.apiKeyEnv().isEmpty() ? Optional.empty() : secrets.get(p.apiKeyEnv());
            if (!p.apiKeyEnv().isEmpty() && key.isEmpty()) {
                logger.warn("ai.providers[{}]: environment variable {} is not set; requests go without a key",
                        p.name(), p.apiKeyEnv());
            }
            OpenAiCompatibleProvider provider = new OpenAiCompatibleProvider(p, key, config, streaming, timers);
            for (String m : p.models()) {
                byModel.putIfAbsent(m, provider);
            }
        }
        this.models = new ModelCatalog(byModel, config.defaultModel(), ephemeral);
        this.usage = new UsageMeter(ephemeral, config.usage());
        this.tts = tts(config.tts(), secrets, http, blocking);
        this.speech = new SpeechService(tts, objects, config.tts().streaming() ? live : null, usage, blocking,
                objectUrlTtl, config.tts().maxChars());
        this.retrieval = documents == null ? null
                : retrieval(config, secrets, dataDir, objects, documents, ephemeral, blocking, http);
        this.conversations = new ConversationService(config, chats, personas, models, usage, sink, blocking, speech,
                retrieval);
        if (config.providers().isEmpty()) {
            logger.info("no model provider configured: the chat answers offline, saying how to configure one");
        }
    }

    /** The user-documents index under {@code ai.retrieval.indexDir} (default {@code <dataDir>/index}). */
    private static RetrievalService retrieval(AiConfig config, Secrets secrets, Path dataDir, ObjectStore objects,
                                              DocumentCatalog documents, EphemeralStore bus, Executor blocking,
                                              AsyncHttpClient http) {
        AiConfig.Retrieval r = config.retrieval();
        AiConfig.Transcription t = config.transcription();
        Optional<Secret> key = t.apiKeyEnv().isEmpty() ? Optional.empty() : secrets.get(t.apiKeyEnv());
        if (t.enabled() && !t.apiKeyEnv().isEmpty() && key.isEmpty()) {
            logger.warn("ai.transcription: environment variable {} is not set; requests go without a key",
                    t.apiKeyEnv());
        }
        Path indexDir = r.indexDir().isEmpty() ? dataDir.resolve("index") : Path.of(r.indexDir());
        return new RetrievalService(r, indexDir, dataDir.resolve("tmp"), new Transcriber(t, key, http), objects,
                documents, bus, blocking);
    }

    /** The configured text-to-speech provider, or null for text only. */
    private TtsProvider tts(AiConfig.Tts c, Secrets secrets, AsyncHttpClient http, Executor blocking) {
        Optional<Secret> key = c.apiKeyEnv().isEmpty() ? Optional.empty() : secrets.get(c.apiKeyEnv());
        Duration timeout = Duration.ofMillis(c.timeoutMillis());
        switch (c.provider()) {
            case "openai":
                return HttpTts.openAi(c.baseUrl(), c.model(), c.voice(), key, http, timeout);
            case "elevenlabs":
                return HttpTts.elevenLabs(c.baseUrl(), c.model(), c.voice(), key, http, timeout);
            case "espeak":
            case "auto":
                if (espeakInstalled) {
                    return new EspeakTts(c.command(), c.voice(), blocking, c.timeoutMillis());
                }
                if (c.provider().equals("espeak")) {
                    logger.warn("ai.tts.provider is espeak but espeak-ng is not installed: answers are text only");
                } else {
                    logger.info("espeak-ng is not installed and no TTS provider is configured: answers are text only");
                }
                return null;
            default:
                return null;
        }
    }

    /** The voices OpenAI's speech endpoint offers. */
    static final List<String> OPENAI_VOICES = List.of("alloy", "ash", "ballad", "coral", "echo", "fable", "nova",
            "onyx", "sage", "shimmer");

    /**
     * What {@code GET /api/tts/models} shows: the engines Lectern has, keyed by name ({@code espeak}, {@code openai},
     * {@code elevenlabs}), the one answers are spoken with {@code active}.
     */
    public Map<String, TtsModel> ttsDescription() {
        String active = tts == null ? null : tts.name();
        Map<String, TtsModel> out = new LinkedHashMap<>();
        out.put("espeak", new TtsModel("eSpeak NG (local)", false, status("espeak", active, espeakInstalled),
                "GPL-3.0-or-later", espeakVoices, "espeak".equals(active) ? voiceOr("en") : null, "wav"));
        out.put("openai", new TtsModel("OpenAI text-to-speech", false,
                status("openai", active, "openai".equals(ttsConfigured)), "commercial (OpenAI terms)", OPENAI_VOICES,
                "openai".equals(active) ? voiceOr("alloy") : null, "mp3"));
        out.put("elevenlabs", new TtsModel("ElevenLabs", true,
                status("elevenlabs", active, "elevenlabs".equals(ttsConfigured)), "commercial (ElevenLabs terms)", null,
                "elevenlabs".equals(active) ? voiceOr("21m00Tcm4TlvDq8ikWAM") : null, "mp3"));
        return out;
    }

    private static String status(String engine, String active, boolean usable) {
        return engine.equals(active) ? "active" : usable ? "available" : "unavailable";
    }

    private String voiceOr(String engineDefault) {
        return ttsVoice.isEmpty() ? engineDefault : ttsVoice;
    }

    /** Deletes objects older than {@code maxAge} every {@code period}, on the blocking executor. */
    public void purgeObjectsEvery(Duration period, Duration maxAge) {
        timers.scheduleAtFixedRate(() -> {
            try {
                blocking.execute(() -> {
                    try {
                        int n = objects.purgeOlderThan(maxAge);
                        if (n > 0) {
                            logger.info("purged {} expired objects", n);
                        }
                    } catch (RuntimeException e) {
                        logger.warn("object purge failed: {}", e.getMessage());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                logger.warn("object purge skipped: blocking executor saturated");
            }
        }, period.toMillis(), period.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Retrieval over users' documents, or null when the server was built without a document catalogue. */
    public RetrievalService retrieval() {
        return retrieval;
    }

    public ConversationService conversations() {
        return conversations;
    }

    public ModelCatalog models() {
        return models;
    }

    /** The configured text-to-speech provider (espeak-ng by default when installed), or null for none. */
    public TtsProvider tts() {
        return tts;
    }

    public UsageMeter usage() {
        return usage;
    }

    @Override
    public void close() {
        models.close();
        if (retrieval != null) {
            retrieval.close();
        }
        timers.shutdownNow();
        streaming.close();
    }
}

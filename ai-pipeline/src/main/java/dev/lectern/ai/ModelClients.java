package dev.lectern.ai;

import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.ai.llm.ModelProvider;
import dev.lectern.ai.llm.internal.OpenAiCompatibleProvider;
import dev.lectern.ai.llm.internal.StreamingHttpClient;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.store.EphemeralStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured model providers ({@code ai.providers}) without the rest of the tutoring pipeline: what a
 * {@code bin/lectern worker} node needs to run model jobs. Owns its HTTP client and timer thread; close it after the
 * job engine has stopped.
 */
public final class ModelClients implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(ModelClients.class);

    private final StreamingHttpClient streaming;
    private final ScheduledExecutorService timers;
    private final ModelCatalog catalog;

    private ModelClients(AiConfig config, Secrets secrets, EphemeralStore ephemeral) {
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lectern-llm-timer");
            t.setDaemon(true);
            return t;
        });
        this.streaming = new StreamingHttpClient((int) Math.min(Integer.MAX_VALUE, config.connectTimeoutMillis()), 1);
        this.catalog = new ModelCatalog(providers(config, secrets, streaming, timers), config.defaultModel(),
                ephemeral);
    }

    /** The clients of {@code ai.providers}, or empty when none is configured (then no model job can run). */
    public static Optional<ModelClients> open(AiConfig config, Secrets secrets, EphemeralStore ephemeral) {
        return config.providers().isEmpty() ? Optional.empty()
                : Optional.of(new ModelClients(config, secrets, ephemeral));
    }

    /** Model id → the provider serving it, in the configured order (the first provider naming a model wins). */
    public static Map<String, ModelProvider> providers(AiConfig config, Secrets secrets, StreamingHttpClient streaming,
                                                       ScheduledExecutorService timers) {
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
        return byModel;
    }

    public ModelCatalog catalog() {
        return catalog;
    }

    @Override
    public void close() {
        catalog.close();
        timers.shutdownNow();
        streaming.close();
    }
}

package dev.lectern.ai.llm;

import dev.lectern.core.store.EphemeralStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models users may pick from, each with the provider that serves it, and each user's active model (kept in the
 * ephemeral store). With no provider configured the only model is the {@link OfflineProvider}'s.
 */
public final class ModelCatalog implements AutoCloseable {
    private static final String ACTIVE_KEY = "llm:active:";

    private final Map<String, ModelProvider> byModel = new LinkedHashMap<>();
    private final List<ModelProvider> providers;
    private final String defaultModel;
    private final EphemeralStore store;

    /** A model id and the provider that serves it. */
    public record Model(String id, String provider, boolean offline) {}

    /**
     * @param models model id → provider, in the configured order; empty means offline only
     * @param defaultModel "" for the first model
     */
    public ModelCatalog(Map<String, ModelProvider> models, String defaultModel, EphemeralStore store) {
        this.store = store;
        if (models.isEmpty()) {
            byModel.put(OfflineProvider.MODEL, new OfflineProvider());
        } else {
            byModel.putAll(models);
        }
        String first = byModel.keySet().iterator().next();
        if (defaultModel != null && !defaultModel.isEmpty() && !byModel.containsKey(defaultModel)) {
            throw new dev.lectern.core.config.ConfigException("ai.defaultModel: " + defaultModel + " is not served by any provider "
                    + "(known: " + byModel.keySet() + ")");
        }
        this.defaultModel = defaultModel == null || defaultModel.isEmpty() ? first : defaultModel;
        this.providers = List.copyOf(new java.util.LinkedHashSet<>(byModel.values()));
    }

    public List<Model> models() {
        List<Model> out = new ArrayList<>();
        byModel.forEach((id, p) -> out.add(new Model(id, p.name(), p instanceof OfflineProvider)));
        return out;
    }

    /** Whether {@code model} is answered by the offline provider (no model configured). */
    public boolean offline(String model) {
        return byModel.get(model) instanceof OfflineProvider;
    }

    public String defaultModel() {
        return defaultModel;
    }

    /** Makes {@code model} the user's active model; an unknown model is a 400. Blocking (ephemeral store). */
    public void activate(String userId, String model) {
        if (model == null || !byModel.containsKey(model)) {
            throw new ChatException(400, "unknown_model", "model '" + model + "' is not configured; choose one of "
                    + byModel.keySet());
        }
        store.set(ACTIVE_KEY + userId, model, null);
    }

    /** The user's active model, or the default when none was chosen or it is no longer configured. Blocking. */
    public String activeModel(String userId) {
        return store.get(ACTIVE_KEY + userId).filter(byModel::containsKey).orElse(defaultModel);
    }

    public ModelProvider provider(String model) {
        ModelProvider p = byModel.get(model);
        if (p == null) {
            throw new IllegalArgumentException("unknown model " + model);
        }
        return p;
    }

    @Override
    public void close() {
        for (ModelProvider p : providers) {
            p.close();
        }
    }
}

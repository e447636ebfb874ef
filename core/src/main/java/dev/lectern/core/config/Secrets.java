package dev.lectern.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Secrets come only from the environment: {@code NAME} holds the value or {@code NAME_FILE} names a file that does
 * (Docker/Kubernetes style). They are never in {@code config/lectern.yaml} and never logged; {@link #describe()} says
 * which ones were looked up and whether they were set.
 */
public final class Secrets {
    private final Map<String, String> env;
    private final Map<String, String> seen = new TreeMap<>();

    public Secrets(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    public synchronized Optional<Secret> get(String name) {
        String direct = env.get(name);
        if (direct != null && !direct.isEmpty()) {
            seen.put(name, "set");
            return Optional.of(new Secret(name, direct));
        }
        String file = env.get(name + "_FILE");
        if (file != null && !file.isEmpty()) {
            try {
                String value = Files.readString(Path.of(file)).strip();
                if (value.isEmpty()) {
                    throw new ConfigException(name + "_FILE: " + file + " is empty");
                }
                seen.put(name, "set (file)");
                return Optional.of(new Secret(name + "_FILE", value));
            } catch (IOException e) {
                throw new ConfigException(name + "_FILE: cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        seen.put(name, "unset");
        return Optional.empty();
    }

    /** Names looked up so far and whether each was set; never the values. */
    public synchronized Map<String, String> describe() {
        return Map.copyOf(seen);
    }
}

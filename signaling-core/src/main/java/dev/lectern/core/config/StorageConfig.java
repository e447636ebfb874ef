package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkNotBlank;

/** Where state lives: the data directory (embedded defaults) and, later, the production stores. */
public record StorageConfig(String dataDir) {
    public StorageConfig {
        checkNotBlank(dataDir, "storage.dataDir");
    }
}

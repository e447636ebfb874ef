package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkNotBlank;

/** Where state lives: the data directory (embedded defaults) and, later, the production stores. */
public record StorageConfig(String dataDir, Objects objects) {
    public StorageConfig {
        checkNotBlank(dataDir, "storage.dataDir");
        if (objects == null) {
            throw new ConfigException("storage.objects: section is required");
        }
    }

    /** The object store (TTS audio, uploads): a directory under dataDir served through signed, expiring URLs. */
    public record Objects(long urlTtlSeconds, long maxAgeSeconds, String signingKeyEnv) {
        public Objects {
            Checks.checkRange(urlTtlSeconds, 1, 7 * 24 * 3600, "storage.objects.urlTtlSeconds");
            Checks.checkPositive(maxAgeSeconds, "storage.objects.maxAgeSeconds");
            checkNotBlank(signingKeyEnv, "storage.objects.signingKeyEnv");
        }
    }
}

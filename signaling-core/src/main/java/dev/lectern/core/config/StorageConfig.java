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
    public record Objects(long urlTtlSeconds, long maxAgeSeconds, String signingKeyEnv, S3 s3) {
        public Objects {
            Checks.checkRange(urlTtlSeconds, 1, 7 * 24 * 3600, "storage.objects.urlTtlSeconds");
            Checks.checkPositive(maxAgeSeconds, "storage.objects.maxAgeSeconds");
            checkNotBlank(signingKeyEnv, "storage.objects.signingKeyEnv");
            if (s3 == null) {
                throw new ConfigException("storage.objects.s3: section is required (bucket \"\" = local directory)");
            }
        }
    }

    /** An S3-compatible store instead of the local directory when {@code bucket} is set. */
    public record S3(String endpoint, String region, String bucket, boolean pathStyle, String accessKeyEnv,
                     String secretKeyEnv, int maxAttempts) {
        public S3 {
            endpoint = endpoint == null ? "" : endpoint;
            bucket = bucket == null ? "" : bucket;
            checkNotBlank(region, "storage.objects.s3.region");
            if (!endpoint.isEmpty() && !endpoint.startsWith("http://") && !endpoint.startsWith("https://")) {
                throw new ConfigException("storage.objects.s3.endpoint: " + endpoint + " (expected an http(s) URL or \"\")");
            }
            checkNotBlank(accessKeyEnv, "storage.objects.s3.accessKeyEnv");
            checkNotBlank(secretKeyEnv, "storage.objects.s3.secretKeyEnv");
            Checks.checkRange(maxAttempts, 1, 10, "storage.objects.s3.maxAttempts");
        }

        public boolean enabled() {
            return !bucket.isEmpty();
        }
    }
}

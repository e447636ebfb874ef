package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkNotBlank;
import static dev.lectern.core.config.Checks.checkRange;
import static dev.lectern.core.config.Checks.copyOf;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * The durable job engine: workers per node, the lease a claimed job holds and the heartbeat that renews it, retries,
 * per-kind limits, and the signed webhooks in and out. The secrets (inbound HMAC secret, outbound signing secret)
 * come from the environment variables named here.
 */
public record JobsConfig(int workers, boolean helloRoutes, long leaseMillis, long heartbeatMillis, long pollMillis,
                         int maxAttempts, long backoffBaseMillis, long backoffMaxMillis, long timeoutMillis,
                         Map<String, Kind> kinds, Webhooks webhooks) {
    public JobsConfig {
        checkRange(workers, 0, 1024, "jobs.workers");
        checkRange(leaseMillis, 100, 3_600_000, "jobs.leaseMillis");
        checkRange(heartbeatMillis, 20, 600_000, "jobs.heartbeatMillis");
        if (heartbeatMillis * 2 > leaseMillis) {
            throw new ConfigException("jobs.heartbeatMillis: " + heartbeatMillis
                    + " must be at most half of jobs.leaseMillis (" + leaseMillis + ")");
        }
        checkRange(pollMillis, 10, 600_000, "jobs.pollMillis");
        checkRange(maxAttempts, 1, 1000, "jobs.maxAttempts");
        checkRange(backoffBaseMillis, 1, 86_400_000, "jobs.backoffBaseMillis");
        checkRange(backoffMaxMillis, backoffBaseMillis, 7L * 86_400_000, "jobs.backoffMaxMillis");
        checkRange(timeoutMillis, 10, 7L * 86_400_000, "jobs.timeoutMillis");
        if (kinds == null) {
            throw new ConfigException("jobs.kinds: must be a mapping (use {} for none)");
        }
        kinds.forEach((name, kind) -> {
            if (!name.matches("[a-z0-9._-]{1,64}")) {
                throw new ConfigException("jobs.kinds: " + name + " (expected [a-z0-9._-]{1,64})");
            }
            if (kind == null) {
                throw new ConfigException("jobs.kinds." + name + ": must be a mapping");
            }
        });
        kinds = Map.copyOf(kinds);
        if (webhooks == null) {
            throw new ConfigException("jobs.webhooks: section is missing");
        }
    }

    /** Per-kind overrides of the defaults its handler registers with; 0 keeps the registered value. */
    public record Kind(long timeoutMillis, int maxAttempts, int concurrency) {
        public Kind {
            checkRange(timeoutMillis, 0, 7L * 86_400_000, "jobs.kinds.*.timeoutMillis");
            checkRange(maxAttempts, 0, 1000, "jobs.kinds.*.maxAttempts");
            checkRange(concurrency, 0, 1024, "jobs.kinds.*.concurrency");
        }
    }

    /**
     * Signed calls in and job state changes out. {@code secretEnv} / {@code previousSecretEnv} name the inbound HMAC
     * secrets (two during a rotation; the seed's {@code WEBHOOK_SECRET} is read when {@code secretEnv} is unset);
     * {@code outboundSecretEnv} the Standard Webhooks secret ({@code whsec_…}) that signs what Lectern sends to
     * {@code endpoints}.
     */
    public record Webhooks(String secretEnv, String previousSecretEnv, long toleranceSeconds,
                           String outboundSecretEnv, List<String> endpoints, int maxAttempts, long timeoutMillis) {
        public Webhooks {
            checkNotBlank(secretEnv, "jobs.webhooks.secretEnv");
            checkNotBlank(previousSecretEnv, "jobs.webhooks.previousSecretEnv");
            checkNotBlank(outboundSecretEnv, "jobs.webhooks.outboundSecretEnv");
            checkRange(toleranceSeconds, 1, 3600, "jobs.webhooks.toleranceSeconds");
            endpoints = copyOf(endpoints, "jobs.webhooks.endpoints");
            for (String e : endpoints) {
                URI uri;
                try {
                    uri = URI.create(e);
                } catch (IllegalArgumentException ex) {
                    throw new ConfigException("jobs.webhooks.endpoints: " + e + " is not a URL");
                }
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw new ConfigException("jobs.webhooks.endpoints: " + e + " (expected an http(s) URL)");
                }
            }
            checkRange(maxAttempts, 1, 100, "jobs.webhooks.maxAttempts");
            checkRange(timeoutMillis, 100, 120_000, "jobs.webhooks.timeoutMillis");
        }
    }
}

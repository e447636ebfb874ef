package dev.lectern.server;

import dev.lectern.ai.AiPipeline;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lectern worker}: a node that only works jobs. It opens the stores and runs the job engine (with
 * {@code jobs.workers} workers, the lessons' kinds registered, with the configured models and text-to-speech, and the
 * exams' model kinds when {@code ai.providers} names a model) and listens on no port; several share one PostgreSQL
 * with the serving nodes.
 */
final class JobsWorker implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(JobsWorker.class);

    private final Closeables closeables = new Closeables();
    private final Set<String> kinds;

    private JobsWorker(ServerConfig config, Secrets secrets) {
        try {
            InfrastructureModule infra = new InfrastructureModule(config, secrets, closeables);
            // the models plan lessons and the configured TTS narrates them here too; no chat, no document index
            AiPipeline ai = closeables.add(new AiPipeline(config.ai(), secrets, infra.ephemeral, null, null, null,
                    infra.blocking, infra.objects, Duration.ofSeconds(config.storage().objects().urlTtlSeconds()),
                    infra.dataDir, null, infra.outbound.client()));
            JobsModule jobs = new JobsModule(config, secrets, infra,
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), closeables, ai);
            // the exams' model jobs run where a model is configured; without one they wait for a node that has it
            if (!config.ai().providers().isEmpty()) {
                ExamsModule.exams(config.exams(), infra, jobs.engine(), ai.models(),
                        CoursesModule.examCourses(config, infra, closeables));
            }
            this.kinds = jobs.engine().kinds();
            logger.atInfo().addKeyValue("node", jobs.engine().nodeId()).addKeyValue("kinds", jobs.engine().kinds())
                    .log("job worker node running");
        } catch (RuntimeException e) {
            closeables.closeAll();
            throw e;
        }
    }

    /** The job kinds this node works. */
    Set<String> kinds() {
        return kinds;
    }

    static JobsWorker start(ServerConfig config, Map<String, String> env) {
        return new JobsWorker(config, new Secrets(env));
    }

    @Override
    public void close() {
        closeables.closeAll();
    }
}

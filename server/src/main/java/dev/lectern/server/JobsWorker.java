package dev.lectern.server;

import dev.lectern.ai.ModelClients;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/lectern worker}: a node that only works jobs. It opens the stores and runs the job engine (with
 * {@code jobs.workers} workers, the lessons' kinds registered, and the exams' model kinds when {@code ai.providers} has a
 * model) and listens on no port; several share one PostgreSQL
 * with the serving nodes.
 */
final class JobsWorker implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(JobsWorker.class);

    private final Closeables closeables = new Closeables();
    private final Set<String> kinds;

    private JobsWorker(ServerConfig config, Secrets secrets) {
        try {
            InfrastructureModule infra = new InfrastructureModule(config, secrets, closeables);
            // model clients close after the engine (closeables close in reverse order)
            Optional<ModelClients> models = ModelClients.open(config.ai(), secrets, infra.ephemeral)
                    .map(closeables::add);
            JobsModule jobs = new JobsModule(config, secrets, infra,
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), closeables, null);
            // the exams' model jobs run where a model is configured; without one they stay for a node that has it
            models.ifPresent(m -> ExamsModule.exams(config.exams(), infra, jobs.engine(), m.catalog()));
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

package dev.lectern.server;

import dev.lectern.core.config.ConfigException;
import dev.lectern.core.config.JobsConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.http.Router;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.web.JobsApi;
import dev.lectern.jobs.web.SignedCalls;
import dev.lectern.jobs.webhook.OutboundWebhooks;
import dev.lectern.jobs.webhook.SignedRequestVerifier;
import dev.lectern.lessons.LessonService;
import dev.lectern.lessons.ProjectEvents;
import dev.lectern.lessons.web.LessonsApi;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;

/**
 * The jobs feature's wiring: the job engine on the shared SQL store (its wake-ups over the ephemeral store's pub/sub
 * when that is Redis), the signed-call verifier, outbound webhooks when endpoints are configured, the lessons
 * (projects, sessions, scenes and their jobs), and their routes. The engine starts here and stops before the store.
 */
final class JobsModule implements FeatureModule {
    private final ServerConfig config;
    private final InfrastructureModule infra;
    private final JobEngine engine;
    private final OutboundWebhooks webhooks;
    private final SignedCalls signed;
    private final LessonService lessons;
    private final ProjectEvents projectEvents;

    JobsModule(ServerConfig config, Secrets secrets, InfrastructureModule infra, MeterRegistry meters,
               Closeables closeables) {
        this.config = config;
        this.infra = infra;
        JobsConfig jobs = config.jobs();
        this.engine = new JobEngine(infra.sql, jobs, infra.ephemeral, meters);
        JobsConfig.Webhooks hooks = jobs.webhooks();
        String current = secrets.get(hooks.secretEnv()).or(() -> secrets.get("WEBHOOK_SECRET")).map(Secret::reveal)
                .orElse(null);
        String previous = secrets.get(hooks.previousSecretEnv()).map(Secret::reveal).orElse(null);
        this.signed = new SignedCalls(new SignedRequestVerifier(SignedRequestVerifier.secrets(current, previous),
                hooks.toleranceSeconds(), infra.clock::millis));
        if (hooks.endpoints().isEmpty()) {
            this.webhooks = null;
        } else {
            String outbound = secrets.get(hooks.outboundSecretEnv()).map(Secret::reveal).orElseThrow(() ->
                    new ConfigException("jobs.webhooks.endpoints is set but " + hooks.outboundSecretEnv()
                            + " (the whsec_ secret that signs them) is not"));
            this.webhooks = new OutboundWebhooks(infra.sql, engine, hooks.endpoints(), outbound, infra.outbound.client(),
                    Duration.ofMillis(hooks.timeoutMillis()), hooks.maxAttempts(),
                    KindOptions.DEFAULTS.withBackoff(5_000, 10 * 3_600_000L));
        }
        JobsApi.registerHelloTask(engine);
        this.projectEvents = new ProjectEvents(infra.ephemeral);
        this.lessons = new LessonService(infra.sql, engine, projectEvents);
        closeables.add(projectEvents); // closed after the engine, so the last job changes still go out
        closeables.add(engine);
        engine.start();
    }

    /** The Socket.IO {@code subscribe}/{@code unsubscribe} events for a project's live changes. */
    ProjectSubscriptions projectSubscriptions() {
        return new ProjectSubscriptions(lessons, projectEvents, infra.blocking);
    }

    JobEngine engine() {
        return engine;
    }

    @Override
    public void registerRoutes(Router.Builder routes) {
        new JobsApi(engine, signed, infra.ephemeral, webhooks, config.jobs().helloRoutes(), infra.clock,
                infra.blocking)
                .register(routes);
        new LessonsApi(lessons, signed, projectEvents, infra.blocking).register(routes);
    }
}

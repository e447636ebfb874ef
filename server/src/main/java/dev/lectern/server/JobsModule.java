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
import dev.lectern.ai.llm.ModelCatalog;
import dev.lectern.ai.tts.EspeakTts;
import dev.lectern.ai.tts.TtsProvider;
import dev.lectern.core.config.LessonsConfig;
import dev.lectern.lessons.LessonStudio;
import dev.lectern.lessons.plan.LessonPlanner;
import dev.lectern.lessons.plan.PlanValidator;
import dev.lectern.lessons.render.Ffmpeg;
import dev.lectern.lessons.render.LessonAssembler;
import dev.lectern.lessons.render.Narrator;
import dev.lectern.lessons.render.SceneRenderer;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;

/**
 * The jobs feature's wiring: the job engine on the shared SQL store (its wake-ups over the ephemeral store's pub/sub
 * when that is Redis), the signed-call verifier, outbound webhooks when endpoints are configured, the lessons
 * (projects, sessions, scenes and their jobs), and their routes. The engine starts here and stops before the store.
 */
final class JobsModule implements FeatureModule {
    private static final String ESPEAK = "espeak-ng";
    private final ServerConfig config;
    private final InfrastructureModule infra;
    private final JobEngine engine;
    private final OutboundWebhooks webhooks;
    private final SignedCalls signed;
    private final LessonService lessons;
    private final ProjectEvents projectEvents;

    /** @param models the language models that plan lessons, or null on a node without them (a worker node) */
    JobsModule(ServerConfig config, Secrets secrets, InfrastructureModule infra, MeterRegistry meters,
               Closeables closeables, ModelCatalog models) {
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
        this.lessons = new LessonService(infra.sql, engine, projectEvents, studio(config, infra, models, closeables));
        closeables.add(projectEvents); // closed after the engine, so the last job changes still go out
        closeables.add(lessons); // likewise: running renders keep their cancel watcher until the engine stops
        closeables.add(engine);
        engine.start();
    }

    /**
     * The renderer of lesson videos: espeak-ng narration when it is installed and ai.tts allows it (without it a
     * scene fails with tts_not_configured), ffmpeg, the object store, and {@code <dataDir>/tmp/lessons} for the
     * temporary files of renders.
     */
    private static LessonStudio studio(ServerConfig config, InfrastructureModule infra, ModelCatalog models,
                                       Closeables closeables) {
        LessonsConfig c = config.lessons();
        Ffmpeg ffmpeg = new Ffmpeg(c.ffmpegPath(), c.encodeTimeoutMillis());
        String provider = config.ai().tts().provider();
        TtsProvider tts = (provider.equals("auto") || provider.equals("espeak")) && EspeakTts.available(ESPEAK)
                ? new EspeakTts(ESPEAK, config.ai().tts().voice(), infra.blocking, config.ai().tts().timeoutMillis())
                : null;
        Narrator narrator = new Narrator(tts, ffmpeg, c.narrationTimeoutMillis());
        LessonPlanner planner = models == null ? null
                : new LessonPlanner(models, new PlanValidator(c.maxScenes()), c.planTimeoutMillis());
        return new LessonStudio(planner, new SceneRenderer(c, ffmpeg, narrator), new LessonAssembler(ffmpeg),
                infra.objects, Duration.ofSeconds(config.storage().objects().urlTtlSeconds()), c.mediaQuotaBytes(),
                infra.dataDir.resolve("tmp").resolve("lessons"));
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

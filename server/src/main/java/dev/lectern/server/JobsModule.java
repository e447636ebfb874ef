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
import dev.lectern.ai.AiPipeline;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.ai.retrieval.RetrievalService;
import dev.lectern.companions.Companion;
import dev.lectern.companions.CompanionRepository;
import dev.lectern.core.error.ServiceException;
import dev.lectern.lessons.CompanionVoices;
import dev.lectern.lessons.LessonSources;
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
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    /**
     * @param ai the AI pipeline whose models plan lessons, whose text-to-speech narrates them and whose retrieval (on a
     *           serving node) grounds them in the users' uploads
     */
    JobsModule(ServerConfig config, Secrets secrets, InfrastructureModule infra, MeterRegistry meters,
               Closeables closeables, AiPipeline ai) {
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
        this.lessons = new LessonService(infra.sql, engine, projectEvents, studio(config, infra, ai));
        closeables.add(projectEvents); // closed after the engine, so the last job changes still go out
        closeables.add(lessons); // likewise: running renders keep their cancel watcher until the engine stops
        closeables.add(engine);
        engine.start();
    }

    /**
     * The renderer of lesson videos: the configured text-to-speech (ai.tts: espeak-ng when installed by default, or
     * an HTTP provider; without one a scene fails with tts_not_configured), ffmpeg, the object store,
     * {@code <dataDir>/tmp/lessons} for the temporary files of renders, the companions' voices (from the companions
     * table, on any node) and the retrieval over the users' uploads when this node has it.
     */
    private static LessonStudio studio(ServerConfig config, InfrastructureModule infra, AiPipeline ai) {
        LessonsConfig c = config.lessons();
        Ffmpeg ffmpeg = new Ffmpeg(c.ffmpegPath(), c.encodeTimeoutMillis());
        Narrator narrator = new Narrator(ai.tts(), ffmpeg, c.narrationTimeoutMillis());
        LessonPlanner planner = new LessonPlanner(ai.models(), new PlanValidator(c.maxScenes()),
                c.planTimeoutMillis());
        CompanionRepository companions = new CompanionRepository(infra.sql, infra.clock);
        CompanionVoices voices = id -> companions.find(id).map(CompanionRepository.Stored::companion)
                .filter(k -> !k.retired()).map(Companion::voice);
        RetrievalService retrieval = ai.retrieval();
        LessonSources sources = retrieval == null ? null : (owner, ids, prompt) -> grounding(retrieval, owner, ids,
                prompt);
        return new LessonStudio(planner, new SceneRenderer(c, ffmpeg, narrator), new LessonAssembler(ffmpeg),
                infra.objects, Duration.ofSeconds(config.storage().objects().urlTtlSeconds()), c.mediaQuotaBytes(),
                infra.dataDir.resolve("tmp").resolve("lessons"), voices, sources);
    }

    /**
     * The passages of the owner's documents {@code ids} that the retrieval finds for the prompt; a 400 for an id that
     * is not one of the owner's indexed uploads.
     */
    private static List<Passage> grounding(RetrievalService retrieval, String owner, List<String> ids, String prompt) {
        List<Passage> found = retrieval.retrieve(owner, prompt); // brings the owner's index up to date first
        Map<String, Long> indexed = retrieval.index().exists(owner) ? retrieval.index().files(owner) : Map.of();
        for (String id : ids) {
            if (!indexed.containsKey(id)) {
                throw ServiceException.badRequest("document " + id + " is not one of your indexed uploads");
            }
        }
        Set<String> wanted = Set.copyOf(ids);
        return found.stream().filter(p -> wanted.contains(p.fileId())).toList();
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

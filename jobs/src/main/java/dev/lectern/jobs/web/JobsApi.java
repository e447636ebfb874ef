package dev.lectern.jobs.web;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.http.Access;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Paging;
import dev.lectern.http.Router;
import dev.lectern.http.sse.EventStream;
import dev.lectern.jobs.CancelResult;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.JobQuery;
import dev.lectern.jobs.JobState;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import dev.lectern.jobs.webhook.OutboundWebhooks;
import dev.lectern.jobs.webhook.WebhookDelivery;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The job routes. The seed's demo pair {@code POST /test/hello?name=} and {@code GET /test/task/{id}} (no
 * credentials, as in the seed; rate-limited per address; off with {@code jobs.helloRoutes: false}; an unknown id is a
 * 404, and a job that is not a hello task is shown only to its owner, an admin or a signed caller). The native
 * {@code /api/jobs} routes: a user's jobs (an admin's view is all of them) filtered and paged, one job, cancel and
 * retry; an admin's view of the outbound webhook log, and redelivery.
 */
public final class JobsApi {
    public static final String HELLO = "test.hello";
    private static final int HELLO_PER_MINUTE = 30;
    private static final long SSE_KEEP_ALIVE_MILLIS = 15_000;

    private final JobEngine engine;
    private final SignedCalls signed;
    private final EphemeralStore ephemeral;
    private final OutboundWebhooks webhooks;
    private final boolean helloRoutes;
    private final Clock clock;
    private final Executor blocking;

    /**
     * @param webhooks the outbound webhooks, or null when none are configured
     * @param blocking where an event stream's ownership check reads the job (SSE sources open on the event loop)
     */
    public JobsApi(JobEngine engine, SignedCalls signed, EphemeralStore ephemeral, OutboundWebhooks webhooks,
                   boolean helloRoutes, Clock clock, Executor blocking) {
        this.blocking = blocking;
        this.engine = engine;
        this.signed = signed;
        this.ephemeral = ephemeral;
        this.webhooks = webhooks;
        this.helloRoutes = helloRoutes;
        this.clock = clock;
    }

    /** The seed's hello task: greets {@code name}. */
    public static void registerHelloTask(JobEngine engine) {
        engine.register(HELLO, KindOptions.DEFAULTS.withMaxAttempts(1), ctx -> {
            String name = Json.MAPPER.readTree(ctx.payload()).path("name").asText("World");
            return Json.write("Hello " + name + "!");
        });
    }

    public void register(Router.Builder routes) {
        if (helloRoutes) {
            routes.post("/test/hello").blocking().tag("jobs").errors(400, 429)
                    .summary("Queue the seed's hello task (no credentials; rate-limited per address)")
                    .query("name", "string", false, "who to greet (default World)")
                    .returns(200, JobViews.HelloQueued.class).handle(this::hello);
            routes.get("/test/task/{id}").blocking().tag("jobs").errors(404)
                    .summary("A task's status and result, with Celery's state names")
                    .returns(200, JobViews.TaskView.class).handle(this::task);
        }
        routes.get("/api/jobs").access(Access.USER).blocking().tag("jobs")
                .summary("Your jobs (an admin's: all), newest first")
                .query("status", "string", false, "PENDING, STARTED, RETRY, SUCCESS, FAILURE or REVOKED")
                .query("kind", "string", false, "only this kind").query("owner", "string", false, "admins: one user's")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .errors(400).returns(200, JobViews.JobPage.class).handle(this::list);
        routes.get("/api/jobs/{id}").access(Access.USER).blocking().tag("jobs").errors(404)
                .summary("One job: status, progress, result or error").returns(200, JobViews.JobView.class).handle(r -> ok(JobViews.view(owned(r))));
        routes.post("/api/jobs/{id}/cancel").access(Access.USER).blocking().tag("jobs").errors(404, 409)
                .summary("Cancel a job: a waiting one at once, a running one within a heartbeat")
                .returns(200, JobViews.JobView.class).handle(this::cancel);
        routes.post("/api/jobs/{id}/retry").access(Access.USER).blocking().tag("jobs").errors(404, 409)
                .summary("Queue a failed or revoked job again").returns(200, JobViews.JobView.class)
                .handle(this::retry);
        routes.get("/api/jobs/{id}/events").access(Access.USER).tag("jobs").errors(404)
                .summary("A job's progress and state changes as text/event-stream (the /api/jobs/{id} shape), "
                        + "from its current row to its terminal state")
                .returns(200, JobViews.JobView.class).sse(SSE_KEEP_ALIVE_MILLIS, this::events);
        if (webhooks != null) {
            routes.get("/api/webhooks/deliveries").access(Access.ADMIN).blocking().tag("jobs")
                    .summary("The outbound webhook log, newest first")
                    .query("job", "string", false, "one job's messages")
                    .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                    .returns(200, JobViews.Deliveries.class).handle(this::deliveries);
            routes.post("/api/webhooks/deliveries/{id}/redeliver").access(Access.ADMIN).blocking().tag("jobs")
                    .errors(404).summary("Send a logged message again, under the same webhook-id")
                    .returns(200, WebhookDelivery.class).handle(this::redeliver);
        }
    }

    private CompletionStage<ApiResponse> hello(ApiRequest r) {
        long window = clock.millis() / 60_000;
        long n = ephemeral.increment("jobs:hello:" + r.remoteAddress() + ":" + window, 1, Duration.ofSeconds(61));
        if (n > HELLO_PER_MINUTE) {
            throw ServiceException.tooManyRequests("at most " + HELLO_PER_MINUTE + " hello tasks a minute",
                    60 - (clock.millis() / 1000) % 60);
        }
        String name = r.queryParam("name").orElse("World");
        if (name.length() > 100) {
            throw ServiceException.badRequest("name: at most 100 characters");
        }
        String id = engine.enqueue(NewJob.of(HELLO, Json.write(Map.of("name", name)))
                .owner(r.principalIfAny().map(Principal::userId).orElse(null))).id();
        return ok(new JobViews.HelloQueued(id, JobState.PENDING, "Hello task queued"));
    }

    /** The owner check reads the job on the blocking executor (a source opens on the event loop). */
    private CompletionStage<EventStream> events(ApiRequest r, Executor eventLoop) {
        return CompletableFuture.supplyAsync(() -> new JobEventStream(engine, owned(r).id()), blocking);
    }

    private CompletionStage<ApiResponse> task(ApiRequest r) {
        Job job = engine.find(r.pathParam("id")).orElseThrow(() -> ServiceException.notFound("no such task"));
        if (!job.kind().equals(HELLO) && !mayRead(r, job) && !signed.signed(r)) {
            throw ServiceException.notFound("no such task");
        }
        return ok(JobViews.task(job));
    }

    private CompletionStage<ApiResponse> list(ApiRequest r) {
        Principal p = r.requirePrincipal();
        Paging paging = Paging.of(r);
        JobState state = r.queryParam("status").filter(s -> !s.isBlank())
                .map(s -> JobState.parse(s).orElseThrow(() -> ServiceException.badRequest("status: unknown " + s)))
                .orElse(null);
        String kind = r.queryParam("kind").filter(s -> !s.isBlank()).orElse(null);
        String owner = p.isAdmin() ? r.queryParam("owner").filter(s -> !s.isBlank()).orElse(null) : p.userId();
        var page = engine.list(new JobQuery(owner, state, kind, paging.pageSize(), paging.offset()));
        return ok(new JobViews.JobPage(page.jobs().stream().map(JobViews::view).toList(), page.total(),
                paging.page(), paging.pageSize()));
    }

    private CompletionStage<ApiResponse> cancel(ApiRequest r) {
        Job job = owned(r);
        CancelResult result = engine.cancel(job.id());
        if (result == CancelResult.ALREADY_FINAL) {
            throw ServiceException.conflict("job already ended (" + job.state() + ")");
        }
        return ok(JobViews.view(engine.find(job.id()).orElse(job)).withCancel(result));
    }

    private CompletionStage<ApiResponse> retry(ApiRequest r) {
        Job job = owned(r);
        if (!engine.retry(job.id())) {
            throw ServiceException.conflict("only a FAILURE or REVOKED job can be retried (it is " + job.state() + ")");
        }
        return ok(JobViews.view(engine.find(job.id()).orElse(job)));
    }

    private CompletionStage<ApiResponse> deliveries(ApiRequest r) {
        Paging paging = Paging.of(r);
        String job = r.queryParam("job").filter(s -> !s.isBlank()).orElse(null);
        List<WebhookDelivery> log = webhooks.log(job, paging.pageSize(), paging.offset());
        return ok(new JobViews.Deliveries(log));
    }

    private CompletionStage<ApiResponse> redeliver(ApiRequest r) {
        Optional<WebhookDelivery> d = webhooks.redeliver(r.pathParam("id"));
        return ok(d.orElseThrow(() -> ServiceException.notFound("no such delivery")));
    }

    /** A job the caller may see: their own, or any for an admin; anything else does not exist for them. */
    private Job owned(ApiRequest r) {
        Job job = engine.find(r.pathParam("id")).orElseThrow(() -> ServiceException.notFound("no such job"));
        if (!mayRead(r, job)) {
            throw ServiceException.notFound("no such job");
        }
        return job;
    }

    private static boolean mayRead(ApiRequest r, Job job) {
        return r.principalIfAny().map(p -> p.isAdmin() || p.userId().equals(job.owner())).orElse(false);
    }

    private static CompletionStage<ApiResponse> ok(Object body) {
        return ApiResponse.json(body).async();
    }
}

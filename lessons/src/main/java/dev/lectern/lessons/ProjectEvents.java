package dev.lectern.lessons;

import dev.lectern.core.json.Json;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.jobs.Job;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The changes to a project, its sessions, scenes and jobs, as JSON messages on one ephemeral-store channel per
 * project ({@code lessons:project:<id>}): in-process on one node, Redis pub/sub across nodes, so a subscriber on any
 * node hears every node's changes. A message is {@code {"type":…,"projectId":…,"data":{…}}} with types
 * {@code project.updated}, {@code project.deleted}, {@code session.created}, {@code session.updated},
 * {@code scene.created}, {@code scene.updated} and {@code job} (a job's state or progress). Changes are published
 * after their transaction commits, by one thread per node, so this node's changes go out in the order they were made;
 * a full queue makes the publisher wait rather than lose a change.
 */
public final class ProjectEvents implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProjectEvents.class);
    private static final int QUEUE = 10_000;

    private final EphemeralStore store;
    private final ThreadPoolExecutor publisher = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(QUEUE), r -> {
                Thread t = new Thread(r, "lectern-project-events");
                t.setDaemon(true);
                return t;
            }, new ThreadPoolExecutor.CallerRunsPolicy());

    public ProjectEvents(EphemeralStore store) {
        this.store = store;
    }

    static String channel(String projectId) {
        return "lessons:project:" + projectId;
    }

    /** Publishes one change; {@code data} is serialised now, so later changes to it do not leak in. */
    public void publish(String projectId, String type, Object data) {
        Map<String, Object> m = new LinkedHashMap<>(4);
        m.put("type", type);
        m.put("projectId", projectId);
        m.put("data", data);
        String message = Json.write(m);
        if (publisher.isShutdown()) {
            return;
        }
        publisher.execute(() -> {
            try {
                store.publish(channel(projectId), message);
            } catch (RuntimeException e) {
                log.atWarn().addKeyValue("project", projectId).addKeyValue("type", type).setCause(e)
                        .log("publishing a project change failed");
            }
        });
    }

    /** A lesson job's change, as the {@code job} event of the project in its payload. */
    void publishJob(String projectId, Job job) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", job.id());
        m.put("kind", job.kind());
        m.put("status", job.state().name());
        m.put("attempts", job.attempts());
        m.put("progress", job.progressPercent());
        m.put("progressMessage", job.progressMessage());
        m.put("result", job.result() == null ? null : Json.MAPPER.valueToTree(parse(job.result())));
        m.put("error", job.error());
        m.put("updatedAt", job.updatedAt());
        publish(projectId, "job", m);
    }

    private static Object parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            return json;
        }
    }

    /**
     * Hears a project's changes (each message as published) until the subscription is closed. Blocks until the
     * store confirms the subscription: call it off the event loop. The listener runs on a store thread.
     */
    public EphemeralStore.Subscription subscribe(String projectId, Consumer<String> listener) {
        return store.subscribe(channel(projectId), listener);
    }

    /** Sends what is queued, then stops. */
    @Override
    public void close() {
        publisher.shutdown();
        try {
            if (!publisher.awaitTermination(5, TimeUnit.SECONDS)) {
                publisher.shutdownNow();
            }
        } catch (InterruptedException e) {
            publisher.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}

package dev.lectern.jobs.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.jobs.CancelResult;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobState;
import dev.lectern.jobs.webhook.WebhookDelivery;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * How a job looks on the wire: JSON text columns become JSON, times ISO-8601. The records are the routes' declared
 * response types, so /openapi.json documents exactly this.
 */
public final class JobViews {
    private JobViews() {}

    /**
     * One job. {@code result} and {@code partialResult} are the task's JSON (or its text when it is not JSON);
     * {@code cancel} only in the answer to a cancel: REVOKED (a waiting job) or CANCEL_REQUESTED (a running one).
     */
    public record JobView(String id, String kind, JobState status, String owner, int priority, int attempts,
                          int maxAttempts, Double progress, String progressMessage, Object partialResult,
                          Object result, String error, boolean cancelRequested, String runAt, String createdAt,
                          String startedAt, String finishedAt,
                          @JsonInclude(JsonInclude.Include.NON_NULL) CancelResult cancel) {
        JobView withCancel(CancelResult outcome) {
            return new JobView(id, kind, status, owner, priority, attempts, maxAttempts, progress, progressMessage,
                    partialResult, result, error, cancelRequested, runAt, createdAt, startedAt, finishedAt, outcome);
        }
    }

    /** The seed's task status: {@code {task_id, status, result}} with Celery's state names. */
    public record TaskView(@JsonProperty("task_id") String taskId, JobState status, Object result,
                           @JsonInclude(JsonInclude.Include.NON_NULL) String error,
                           @JsonInclude(JsonInclude.Include.NON_NULL) Double progress) {}

    /** The seed's answer to {@code POST /test/hello}. */
    public record HelloQueued(@JsonProperty("task_id") String taskId, JobState status, String message) {}

    /** A page of jobs, newest first. */
    public record JobPage(List<JobView> jobs, long total, int page, @JsonProperty("page_size") int pageSize) {}

    /** The outbound webhook log, newest first. */
    public record Deliveries(List<WebhookDelivery> deliveries) {}

    public static JobView view(Job j) {
        return new JobView(j.id(), j.kind(), j.state(), j.owner(), j.priority(), j.attempts(), j.maxAttempts(),
                j.progressPercent(), j.progressMessage(), json(j.partialResult()), json(j.result()), j.error(),
                j.cancelRequested(), iso(j.runAt()), iso(j.createdAt()),
                j.startedAt() == null ? null : iso(j.startedAt()), j.finishedAt() == null ? null : iso(j.finishedAt()),
                null);
    }

    public static TaskView task(Job j) {
        return new TaskView(j.id(), j.state(), json(j.result()), j.error(), j.progressPercent());
    }

    static Object json(String text) {
        if (text == null) {
            return null;
        }
        try {
            JsonNode n = Json.MAPPER.readTree(text);
            return n;
        } catch (IOException e) {
            return text;
        }
    }

    private static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}

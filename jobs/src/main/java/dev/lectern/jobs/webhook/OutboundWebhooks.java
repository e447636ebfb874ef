package dev.lectern.jobs.webhook;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.sql.Jdbc;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobChangeHook;
import dev.lectern.jobs.JobContext;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import dev.lectern.jobs.PermanentJobFailure;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Response;

/**
 * Sends every job state change to the configured endpoints, signed the Standard Webhooks way. The message rows are
 * written in the transaction of the change itself, and each is delivered by a job of the engine
 * ({@value #KIND}), so deliveries share the engine's durability, leases and backoff: a receiver that is down gets the
 * message later, on any node. {@code 410 Gone} stops the retries. The log keeps every message; a redelivery sends it
 * again under the same {@code webhook-id}, as the standard asks, so the receiver can drop a duplicate.
 */
public final class OutboundWebhooks implements JobChangeHook {
    public static final String KIND = JobEngine.INTERNAL_PREFIX + "webhook.deliver";
    private static final String COLUMNS = "id, endpoint, event_type, job_id, payload, status, attempts, "
            + "last_status_code, last_error, delivery_job_id, created_at, updated_at";

    private final SqlDatabase db;
    private final JobEngine engine;
    private final List<String> endpoints;
    private final byte[] key;
    private final AsyncHttpClient http;
    private final Duration timeout;
    private final int maxAttempts;

    /**
     * @param secret the Standard Webhooks secret ({@code whsec_<base64>}) the receivers verify with
     * @param backoff the delivery kind's backoff (base and cap); the standard's schedule grows from 5 s to hours
     */
    public OutboundWebhooks(SqlDatabase db, JobEngine engine, List<String> endpoints, String secret,
                            AsyncHttpClient http, Duration timeout, int maxAttempts, KindOptions backoff) {
        this.db = db;
        this.engine = engine;
        this.endpoints = List.copyOf(endpoints);
        this.key = StandardWebhooks.key(secret);
        this.http = http;
        this.timeout = timeout;
        this.maxAttempts = maxAttempts;
        engine.register(KIND, backoff.withMaxAttempts(maxAttempts).withTimeoutMillis(timeout.toMillis() * 2),
                this::deliver);
        if (!this.endpoints.isEmpty()) {
            engine.addHook(this);
        }
    }

    @Override
    public void onStateChanges(Connection c, List<Job> changed) throws SQLException {
        long now = System.currentTimeMillis();
        for (Job job : changed) {
            String type = "job." + job.state().name().toLowerCase(java.util.Locale.ROOT);
            String payload = Json.write(message(type, job, now));
            for (String endpoint : endpoints) {
                String id = "msg_" + UUID.randomUUID().toString().replace("-", "");
                Jdbc.update(c, "INSERT INTO webhook_delivery (id, endpoint, event_type, job_id, payload, status, "
                        + "attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)", id, endpoint,
                        type, job.id(), payload, now, now);
                String deliveryJob = engine.enqueue(c, NewJob.of(KIND, Json.write(java.util.Map.of("deliveryId", id))))
                        .id();
                Jdbc.update(c, "UPDATE webhook_delivery SET delivery_job_id = ? WHERE id = ?", deliveryJob, id);
            }
        }
    }

    private static ObjectNode message(String type, Job job, long now) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("type", type);
        root.put("timestamp", Instant.ofEpochMilli(now).toString());
        ObjectNode data = root.putObject("data");
        data.put("id", job.id());
        data.put("kind", job.kind());
        data.put("state", job.state().name());
        data.put("owner", job.owner());
        data.put("attempts", job.attempts());
        if (job.progressPercent() != null) {
            data.put("progress", job.progressPercent());
        }
        if (job.result() != null) {
            data.set("result", Json.MAPPER.valueToTree(parseOrText(job.result())));
        }
        if (job.error() != null) {
            data.put("error", job.error());
        }
        return root;
    }

    private static Object parseOrText(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            return json;
        }
    }

    /** The handler of {@value #KIND}: one POST of one logged message. */
    private String deliver(JobContext ctx) throws Exception {
        String id = Json.MAPPER.readTree(ctx.payload()).path("deliveryId").asText("");
        WebhookDelivery d = find(id).orElseThrow(() -> new PermanentJobFailure("no delivery " + id));
        long ts = System.currentTimeMillis() / 1000;
        byte[] body = d.payload().getBytes(StandardCharsets.UTF_8);
        Integer status = null;
        String error = null;
        try {
            Response r = http.preparePost(d.endpoint())
                    .setHeader("content-type", "application/json")
                    .setHeader(StandardWebhooks.ID, d.id())
                    .setHeader(StandardWebhooks.TIMESTAMP, Long.toString(ts))
                    .setHeader(StandardWebhooks.SIGNATURE, StandardWebhooks.sign(key, d.id(), ts, body))
                    .setBody(body)
                    .setRequestTimeout(timeout)
                    .execute().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            status = r.getStatusCode();
        } catch (ExecutionException | TimeoutException e) {
            error = (e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e).toString();
        }
        boolean ok = status != null && status >= 200 && status < 300;
        boolean gone = status != null && status == 410;
        boolean last = ok || gone || ctx.attempt() >= maxAttempts;
        String newStatus = ok ? "DELIVERED" : last ? "FAILED" : "PENDING";
        String lastError = ok ? null : error != null ? error : "HTTP " + status;
        int code = status == null ? 0 : status; // 0: no HTTP answer (see last_error)
        db.query(c -> Jdbc.update(c, "UPDATE webhook_delivery SET status = ?, attempts = attempts + 1, "
                        + "last_status_code = ?, last_error = ?, updated_at = ? WHERE id = ?", newStatus,
                code, lastError, System.currentTimeMillis(), id));
        if (gone) {
            throw new PermanentJobFailure("endpoint answered 410 Gone");
        }
        if (!ok) {
            throw new IllegalStateException("delivery " + id + " failed: " + lastError);
        }
        return "{\"status\":" + status + "}";
    }

    /** Sends a logged message again (same webhook-id); empty when there is no such message. */
    public Optional<WebhookDelivery> redeliver(String deliveryId) {
        Optional<WebhookDelivery> found = db.transaction(c -> {
            Optional<WebhookDelivery> d = Jdbc.one(c, "SELECT " + COLUMNS + " FROM webhook_delivery WHERE id = ?",
                    OutboundWebhooks::map, deliveryId);
            if (d.isPresent()) {
                String job = engine.enqueue(c, NewJob.of(KIND, Json.write(java.util.Map.of("deliveryId", deliveryId))))
                        .id();
                Jdbc.update(c, "UPDATE webhook_delivery SET status = 'PENDING', delivery_job_id = ?, updated_at = ? "
                        + "WHERE id = ?", job, System.currentTimeMillis(), deliveryId);
            }
            return d;
        });
        engine.signal();
        return found.flatMap(d -> find(deliveryId));
    }

    public Optional<WebhookDelivery> find(String deliveryId) {
        return db.query(c -> Jdbc.one(c, "SELECT " + COLUMNS + " FROM webhook_delivery WHERE id = ?",
                OutboundWebhooks::map, deliveryId));
    }

    /** The delivery log, newest first; only a job's messages when jobId is not null. */
    public List<WebhookDelivery> log(String jobId, int limit, int offset) {
        return db.query(c -> jobId == null
                ? Jdbc.list(c, "SELECT " + COLUMNS + " FROM webhook_delivery ORDER BY created_at DESC, id LIMIT ? "
                        + "OFFSET ?", OutboundWebhooks::map, limit, offset)
                : Jdbc.list(c, "SELECT " + COLUMNS + " FROM webhook_delivery WHERE job_id = ? "
                        + "ORDER BY created_at DESC, id LIMIT ? OFFSET ?", OutboundWebhooks::map, jobId, limit, offset));
    }

    private static WebhookDelivery map(java.sql.ResultSet rs) throws SQLException {
        int code = rs.getInt("last_status_code");
        Integer lastCode = rs.wasNull() ? null : code;
        return new WebhookDelivery(rs.getString("id"), rs.getString("endpoint"), rs.getString("event_type"),
                rs.getString("job_id"), rs.getString("payload"), rs.getString("status"), rs.getInt("attempts"),
                lastCode, rs.getString("last_error"), rs.getString("delivery_job_id"), rs.getLong("created_at"),
                rs.getLong("updated_at"));
    }
}

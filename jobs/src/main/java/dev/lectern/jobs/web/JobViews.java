package dev.lectern.jobs.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;
import dev.lectern.jobs.Job;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** How a job looks on the wire: JSON text columns become JSON, times ISO-8601. */
public final class JobViews {
    private JobViews() {}

    public static Map<String, Object> view(Job j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id());
        m.put("kind", j.kind());
        m.put("status", j.state().name());
        m.put("owner", j.owner());
        m.put("priority", j.priority());
        m.put("attempts", j.attempts());
        m.put("maxAttempts", j.maxAttempts());
        m.put("progress", j.progressPercent());
        m.put("progressMessage", j.progressMessage());
        m.put("partialResult", json(j.partialResult()));
        m.put("result", json(j.result()));
        m.put("error", j.error());
        m.put("cancelRequested", j.cancelRequested());
        m.put("runAt", iso(j.runAt()));
        m.put("createdAt", iso(j.createdAt()));
        m.put("startedAt", j.startedAt() == null ? null : iso(j.startedAt()));
        m.put("finishedAt", j.finishedAt() == null ? null : iso(j.finishedAt()));
        return m;
    }

    /** The seed's task status shape: {@code {task_id, status, result}} with Celery's state names. */
    public static Map<String, Object> task(Job j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task_id", j.id());
        m.put("status", j.state().name());
        m.put("result", json(j.result()));
        if (j.error() != null) {
            m.put("error", j.error());
        }
        if (j.progressPercent() != null) {
            m.put("progress", j.progressPercent());
        }
        return m;
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

package dev.lectern.jobs.web;

import dev.lectern.core.json.Json;
import dev.lectern.jobs.Job;
import dev.lectern.jobs.JobEngine;
import dev.lectern.http.sse.EventStream;
import dev.lectern.http.sse.SseEvent;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job's changes as an event stream: its row as it is when the stream starts, then every later change (the
 * {@link JobViews#view} shape), ending after its terminal state. Events go out only as the writer asks for them;
 * while the client is behind, a change that keeps the job in the state of the last waiting event replaces it (the
 * newest progress wins), so what waits is bounded by the job's state changes, and the terminal event is never
 * dropped. The engine's watch stops when the job ends or the client leaves.
 */
final class JobEventStream implements EventStream {
    private static final Logger log = LoggerFactory.getLogger(JobEventStream.class);

    private final JobEngine engine;
    private final String jobId;
    /** Guarded by {@code this}. */
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private Subscriber subscriber;
    private long demand;
    private boolean terminal;
    private boolean ended;
    private boolean cancelled;
    private AutoCloseable watch;

    private record Pending(Job job, SseEvent event) {}

    JobEventStream(JobEngine engine, String jobId) {
        this.engine = engine;
        this.jobId = jobId;
    }

    @Override
    public void subscribe(Subscriber s) {
        synchronized (this) {
            subscriber = s;
        }
        AutoCloseable w = engine.watch(jobId, this::onJob);
        boolean closeNow;
        synchronized (this) {
            watch = w;
            closeNow = cancelled || ended;
        }
        if (closeNow) {
            stopWatching(w);
        }
    }

    @Override
    public synchronized void request(long n) {
        demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        drain();
    }

    @Override
    public void cancel() {
        AutoCloseable w;
        synchronized (this) {
            cancelled = true;
            waiting.clear();
            w = watch;
        }
        stopWatching(w);
    }

    private void onJob(Job job) {
        SseEvent event = SseEvent.of(Json.writeBytes(JobViews.view(job)));
        synchronized (this) {
            if (cancelled || terminal) {
                return;
            }
            Pending last = waiting.peekLast();
            if (last != null && last.job().state() == job.state() && !job.state().isFinal()) {
                waiting.pollLast();
            }
            waiting.add(new Pending(job, event));
            terminal = job.state().isFinal();
            drain();
        }
    }

    /** Called holding the lock: sends what the demand allows, then the end once the terminal event is out. */
    private void drain() {
        if (subscriber == null || cancelled || ended) {
            return;
        }
        while (demand > 0 && !waiting.isEmpty()) {
            demand--;
            subscriber.onEvent(waiting.poll().event());
        }
        if (terminal && waiting.isEmpty()) {
            ended = true;
            subscriber.onEnd();
        }
    }

    private static void stopWatching(AutoCloseable w) {
        if (w == null) {
            return;
        }
        try {
            w.close();
        } catch (Exception e) {
            log.warn("stopping a job watch failed", e);
        }
    }
}

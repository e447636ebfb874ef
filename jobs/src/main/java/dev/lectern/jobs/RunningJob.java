package dev.lectern.jobs;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A claimed job on this node: its context for the handler, and the flags the heartbeat and timeout set. */
final class RunningJob implements JobContext {
    /** Why a run was stopped from outside; NONE while it may go on. */
    enum Stop { NONE, CANCELLED, TIMED_OUT, LEASE_LOST, SHUTDOWN }

    private final Job job;
    private final long claimedAtMillis;
    private final ProgressSink progressSink;
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private volatile Stop stop = Stop.NONE;
    private volatile Thread worker;

    interface ProgressSink {
        void progress(RunningJob run, double percent, String message, String partial);
    }

    RunningJob(Job job, long claimedAtMillis, ProgressSink progressSink) {
        this.job = job;
        this.claimedAtMillis = claimedAtMillis;
        this.progressSink = progressSink;
    }

    Job job() {
        return job;
    }

    long claimedAtMillis() {
        return claimedAtMillis;
    }

    Stop stop() {
        return stop;
    }

    void runningOn(Thread thread) {
        this.worker = thread;
    }

    /** A worker has picked it up (false while it waits behind another job). */
    boolean isRunning() {
        return worker != null;
    }

    /** Stops the run for this reason (the first reason sticks) and its child processes; true if it was the first. */
    boolean stop(Stop reason, Consumer<Runnable> later) {
        synchronized (this) {
            if (stop != Stop.NONE) {
                return false;
            }
            stop = reason;
        }
        destroyProcesses(later);
        Thread t = worker;
        if (reason == Stop.TIMED_OUT && t != null) {
            t.interrupt(); // a run past its time may be blocked rather than checking isCancelled()
        }
        return true;
    }

    /** Destroys the child processes (and their descendants) politely, then forcibly a second later. */
    void destroyProcesses(Consumer<Runnable> later) {
        for (Process p : processes) {
            if (p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
                later.accept(() -> {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                });
            }
        }
    }

    @Override
    public String jobId() {
        return job.id();
    }

    @Override
    public String kind() {
        return job.kind();
    }

    @Override
    public String payload() {
        return job.payload();
    }

    @Override
    public String owner() {
        return job.owner();
    }

    @Override
    public int attempt() {
        return job.attempts();
    }

    @Override
    public boolean isCancelled() {
        return stop != Stop.NONE;
    }

    @Override
    public void progress(double percent, String message, String partialResultJson) {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("percent: " + percent + " (expected 0-100)");
        }
        if (stop != Stop.LEASE_LOST) {
            progressSink.progress(this, percent, message, partialResultJson);
        }
    }

    @Override
    public Process start(ProcessBuilder builder) throws IOException {
        checkCancelled();
        Process p = builder.start();
        processes.add(p);
        if (isCancelled()) { // cancelled between the check and the start: do not leave it running
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new JobCancelledException("job " + job.id() + " cancelled");
        }
        return p;
    }
}

package dev.lectern.jobs;

/**
 * Told of every change to a job made on this node (enqueue, claim, progress, completion, cancel) after it is
 * committed. Runs on an engine thread: return quickly and never block.
 */
@FunctionalInterface
public interface JobListener {
    void onChange(Job job);
}
